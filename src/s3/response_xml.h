// Builders for the XML bodies S3 returns, other than listings (those are in list_xml.h): errors,
// ListAllMyBucketsResult, multipart and copy results, DeleteResult, bucket location and
// versioning, and CreateSession.
//
// Plain structs in, the complete body out (XML declaration included). Element names, order,
// namespace and value formats are S3's as real clients (AWS CLI, boto3, s3cmd, rclone,
// s3fs-fuse) receive them: result roots carry xmlns="http://s3.amazonaws.com/doc/2006-03-01/"
// (<Error> does not), timestamps are "2009-10-12T17:50:30.000Z", ETags go out quoted
// (&quot;...&quot;), booleans as true/false. Text is escaped by XmlWriter (see xml_writer.h).
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "s3/xml_writer.h"

namespace trainload::s3 {

// S3's CanonicalUser, written as <Owner> or <Initiator>.
struct CanonicalUser {
  std::string id;
  // Omitted when empty (S3 stopped sending DisplayName in most regions in 2025).
  std::string display_name;
};

// Checksum elements in output order, e.g. {"ChecksumCRC64NVME", "base64"}: the same shape as
// CompletedPart::checksums in request_xml.h.
using ChecksumFields = std::vector<std::pair<std::string, std::string>>;

// The ETag as S3 writes it: surrounded by double quotes. A value that already has them is kept.
std::string QuotedETag(std::string_view etag);

// Building blocks shared with list_xml.cc.
// <element><ID/>[<DisplayName/>]</element>
void WriteCanonicalUser(XmlWriter& w, std::string_view element, const CanonicalUser& user);
// <ETag>&quot;etag&quot;</ETag>
void WriteETag(XmlWriter& w, std::string_view etag);
// One element per checksum, in order.
void WriteChecksums(XmlWriter& w, const ChecksumFields& checksums);

// <Error><Code/><Message/>[extra...][<Resource/>]<RequestId/><HostId/></Error>.
struct ErrorDocument {
  std::string code;     // "NoSuchKey"
  std::string message;  // "The specified key does not exist."
  // Fields some codes add, in order, after <Message>: {"Key", key}, {"BucketName", bucket},
  // {"ArgumentName", ...}/{"ArgumentValue", ...}, {"RequestTime", ...}/{"ServerTime", ...}/
  // {"MaxAllowedSkewMilliseconds", ...}, {"StringToSign", ...}/{"CanonicalRequest", ...}.
  std::vector<std::pair<std::string, std::string>> extra;
  std::string resource;  // omitted when empty
  std::string request_id;
  std::string host_id;
};
std::string ErrorXml(const ErrorDocument& error);

struct ListedBucket {
  std::string name;
  int64_t creation_date_millis = 0;
  std::string region;  // <BucketRegion>; omitted when empty
};

// <ListAllMyBucketsResult><Owner/><Buckets><Bucket>...</Bucket></Buckets>
// [<ContinuationToken/>][<Prefix/>]</ListAllMyBucketsResult>
struct ListAllMyBucketsResult {
  CanonicalUser owner;
  std::vector<ListedBucket> buckets;
  std::string continuation_token;  // omitted when empty (last page)
  std::string prefix;              // echoed when the request had one
};
std::string ListAllMyBucketsXml(const ListAllMyBucketsResult& result);

// <InitiateMultipartUploadResult><Bucket/><Key/><UploadId/></InitiateMultipartUploadResult>
struct InitiateMultipartUploadResult {
  std::string bucket;
  std::string key;
  std::string upload_id;
};
std::string InitiateMultipartUploadXml(const InitiateMultipartUploadResult& result);

// <CompleteMultipartUploadResult><Location/><Bucket/><Key/><ETag/>[<Checksum*/>]
// [<ChecksumType/>]</CompleteMultipartUploadResult>
struct CompleteMultipartUploadResult {
  std::string location;  // URL of the object, e.g. "http://127.0.0.1:9000/bucket/key"
  std::string bucket;
  std::string key;
  std::string etag;  // quoted on output: "hex-N"
  ChecksumFields checksums;
  std::string checksum_type;  // "COMPOSITE" / "FULL_OBJECT"; omitted when empty
};
std::string CompleteMultipartUploadXml(const CompleteMultipartUploadResult& result);

// <CopyObjectResult> or <CopyPartResult>: <LastModified/><ETag/>[<Checksum*/>][<ChecksumType/>].
struct CopyResult {
  std::string etag;
  int64_t last_modified_millis = 0;
  ChecksumFields checksums;
  std::string checksum_type;  // CopyObject only; omitted when empty
};
std::string CopyObjectXml(const CopyResult& result);
std::string CopyPartXml(const CopyResult& result);

struct DeletedObject {
  std::string key;
  std::string version_id;  // omitted when empty
  bool delete_marker = false;
  std::string delete_marker_version_id;  // omitted when empty
};
struct DeleteObjectError {
  std::string key;
  std::string version_id;  // omitted when empty
  std::string code;
  std::string message;
};
// <DeleteResult><Deleted>...</Deleted>...<Error>...</Error>...</DeleteResult>. In quiet mode
// the caller leaves `deleted` empty.
struct DeleteResult {
  std::vector<DeletedObject> deleted;
  std::vector<DeleteObjectError> errors;
};
std::string DeleteResultXml(const DeleteResult& result);

// GetBucketLocation: <LocationConstraint>region</LocationConstraint>, or the empty element for
// us-east-1 (given as "" or "us-east-1"), as S3 answers.
std::string LocationConstraintXml(std::string_view region);

// GetBucketVersioning: <VersioningConfiguration><Status>Enabled</Status>...; an empty `status`
// (versioning never enabled) gives the empty element.
std::string VersioningConfigurationXml(std::string_view status);

// CreateSession (directory buckets): <CreateSessionResult><Credentials><SessionToken/>
// <SecretAccessKey/><AccessKeyId/><Expiration/></Credentials></CreateSessionResult>
struct SessionCredentials {
  std::string session_token;
  std::string secret_access_key;
  std::string access_key_id;
  int64_t expiration_millis = 0;
};
std::string CreateSessionXml(const SessionCredentials& credentials);

// AccessControlPolicy granting FULL_CONTROL to `owner` alone: what S3 reports for buckets and
// objects with ACLs disabled (bucket owner enforced), and all trainload has.
std::string OwnerOnlyAclXml(const CanonicalUser& owner);

}  // namespace trainload::s3
