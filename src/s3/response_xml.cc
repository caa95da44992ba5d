#include "s3/response_xml.h"

namespace trainload::s3 {

std::string QuotedETag(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') return std::string(etag);
  std::string quoted;
  quoted.reserve(etag.size() + 2);
  quoted.push_back('"');
  quoted.append(etag);
  quoted.push_back('"');
  return quoted;
}

void WriteCanonicalUser(XmlWriter& w, std::string_view element, const CanonicalUser& user) {
  w.Open(element);
  w.Element("ID", user.id);
  if (!user.display_name.empty()) w.Element("DisplayName", user.display_name);
  w.Close();
}

void WriteETag(XmlWriter& w, std::string_view etag) {
  // Written by hand rather than through QuotedETag to spare a temporary string per listed key.
  const bool quoted = etag.size() >= 2 && etag.front() == '"' && etag.back() == '"';
  w.Open("ETag");
  if (!quoted) w.Text("\"");
  w.Text(etag);
  if (!quoted) w.Text("\"");
  w.Close();
}

void WriteChecksums(XmlWriter& w, const ChecksumFields& checksums) {
  for (const auto& [name, value] : checksums) w.Element(name, value);
}

std::string ErrorXml(const ErrorDocument& error) {
  XmlWriter w(512);
  w.Declaration();
  // S3 sends <Error> without a namespace.
  w.Open("Error");
  w.Element("Code", error.code);
  w.Element("Message", error.message);
  for (const auto& [name, value] : error.extra) w.Element(name, value);
  if (!error.resource.empty()) w.Element("Resource", error.resource);
  w.Element("RequestId", error.request_id);
  w.Element("HostId", error.host_id);
  w.Close();
  return w.Take();
}

std::string ListAllMyBucketsXml(const ListAllMyBucketsResult& result) {
  XmlWriter w(256 + result.buckets.size() * 160);
  w.Declaration();
  w.Open("ListAllMyBucketsResult", kS3Namespace);
  WriteCanonicalUser(w, "Owner", result.owner);
  w.Open("Buckets");
  for (const ListedBucket& bucket : result.buckets) {
    w.Open("Bucket");
    w.Element("Name", bucket.name);
    w.TimestampElement("CreationDate", bucket.creation_date_millis);
    if (!bucket.region.empty()) w.Element("BucketRegion", bucket.region);
    w.Close();
  }
  w.Close();
  if (!result.continuation_token.empty()) {
    w.Element("ContinuationToken", result.continuation_token);
  }
  if (!result.prefix.empty()) w.Element("Prefix", result.prefix);
  w.Close();
  return w.Take();
}

std::string InitiateMultipartUploadXml(const InitiateMultipartUploadResult& result) {
  XmlWriter w(256 + result.key.size());
  w.Declaration();
  w.Open("InitiateMultipartUploadResult", kS3Namespace);
  w.Element("Bucket", result.bucket);
  w.Element("Key", result.key);
  w.Element("UploadId", result.upload_id);
  w.Close();
  return w.Take();
}

std::string CompleteMultipartUploadXml(const CompleteMultipartUploadResult& result) {
  XmlWriter w(384 + result.location.size() + result.key.size());
  w.Declaration();
  w.Open("CompleteMultipartUploadResult", kS3Namespace);
  w.Element("Location", result.location);
  w.Element("Bucket", result.bucket);
  w.Element("Key", result.key);
  WriteETag(w, result.etag);
  WriteChecksums(w, result.checksums);
  if (!result.checksum_type.empty()) w.Element("ChecksumType", result.checksum_type);
  w.Close();
  return w.Take();
}

namespace {

std::string CopyXml(std::string_view root, const CopyResult& result) {
  XmlWriter w(256);
  w.Declaration();
  w.Open(root, kS3Namespace);
  // S3 sends LastModified before ETag here.
  w.TimestampElement("LastModified", result.last_modified_millis);
  WriteETag(w, result.etag);
  WriteChecksums(w, result.checksums);
  if (!result.checksum_type.empty()) w.Element("ChecksumType", result.checksum_type);
  w.Close();
  return w.Take();
}

}  // namespace

std::string CopyObjectXml(const CopyResult& result) { return CopyXml("CopyObjectResult", result); }

std::string CopyPartXml(const CopyResult& result) { return CopyXml("CopyPartResult", result); }

std::string DeleteResultXml(const DeleteResult& result) {
  XmlWriter w(256 + (result.deleted.size() + result.errors.size()) * 96);
  w.Declaration();
  w.Open("DeleteResult", kS3Namespace);
  for (const DeletedObject& deleted : result.deleted) {
    w.Open("Deleted");
    w.Element("Key", deleted.key);
    if (!deleted.version_id.empty()) w.Element("VersionId", deleted.version_id);
    if (deleted.delete_marker) w.BoolElement("DeleteMarker", true);
    if (!deleted.delete_marker_version_id.empty()) {
      w.Element("DeleteMarkerVersionId", deleted.delete_marker_version_id);
    }
    w.Close();
  }
  for (const DeleteObjectError& error : result.errors) {
    w.Open("Error");
    w.Element("Key", error.key);
    if (!error.version_id.empty()) w.Element("VersionId", error.version_id);
    w.Element("Code", error.code);
    w.Element("Message", error.message);
    w.Close();
  }
  w.Close();
  return w.Take();
}

std::string LocationConstraintXml(std::string_view region) {
  XmlWriter w(128);
  w.Declaration();
  if (region.empty() || region == "us-east-1") {
    w.EmptyElement("LocationConstraint", kS3Namespace);
  } else {
    w.Open("LocationConstraint", kS3Namespace);
    w.Text(region);
    w.Close();
  }
  return w.Take();
}

std::string VersioningConfigurationXml(std::string_view status) {
  XmlWriter w(160);
  w.Declaration();
  if (status.empty()) {
    w.EmptyElement("VersioningConfiguration", kS3Namespace);
  } else {
    w.Open("VersioningConfiguration", kS3Namespace);
    w.Element("Status", status);
    w.Close();
  }
  return w.Take();
}

std::string CreateSessionXml(const SessionCredentials& credentials) {
  XmlWriter w(512 + credentials.session_token.size());
  w.Declaration();
  w.Open("CreateSessionResult", kS3Namespace);
  w.Open("Credentials");
  w.Element("SessionToken", credentials.session_token);
  w.Element("SecretAccessKey", credentials.secret_access_key);
  w.Element("AccessKeyId", credentials.access_key_id);
  w.TimestampElement("Expiration", credentials.expiration_millis);
  w.Close();
  w.Close();
  return w.Take();
}

std::string OwnerOnlyAclXml(const CanonicalUser& owner) {
  XmlWriter w;
  w.Declaration();
  w.Open("AccessControlPolicy", kS3Namespace);
  WriteCanonicalUser(w, "Owner", owner);
  w.Open("AccessControlList");
  w.Open("Grant");
  w.Raw("<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xsi:type=\"CanonicalUser\">");
  w.Element("ID", owner.id);
  if (!owner.display_name.empty()) w.Element("DisplayName", owner.display_name);
  w.Raw("</Grantee>");
  w.Element("Permission", "FULL_CONTROL");
  w.Close();
  w.Close();
  w.Close();
  return w.Take();
}

}  // namespace trainload::s3
