#include "s3/list_xml.h"

#include <array>

namespace trainload::s3 {
namespace {

// The bytes S3 leaves alone under encoding-type=url. S3 encodes like an HTML form (a space is
// '+', which is why botocore decodes with unquote_plus) but keeps '/' and '*' and encodes '~';
// MinIO's S3-compatible encoder uses the same set.
constexpr std::array<bool, 256> MakeKeepTable() {
  std::array<bool, 256> keep{};
  for (int c = 'A'; c <= 'Z'; ++c) keep[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) keep[c] = true;
  for (int c = '0'; c <= '9'; ++c) keep[c] = true;
  for (unsigned char c : {'-', '_', '.', '/', '*'}) keep[c] = true;
  return keep;
}
constexpr std::array<bool, 256> kKeep = MakeKeepTable();

void AppendListingUrlEncoded(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  // Copy runs of kept bytes in one append; most keys are mostly plain.
  size_t run_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (kKeep[c]) continue;
    out.append(text.data() + run_start, i - run_start);
    if (c == ' ') {
      out.append(1, '+');
    } else {
      const char escape[3] = {'%', kHex[c >> 4], kHex[c & 0xF]};
      out.append(escape, 3);
    }
    run_start = i + 1;
  }
  out.append(text.data() + run_start, text.size() - run_start);
}

// Writes the key-like fields of one listing, encoded when the request asked for
// encoding-type=url. One scratch buffer serves every key of the page.
class ListingWriter {
 public:
  ListingWriter(bool url_encoding, size_t entries)
      : w_(512 + entries * 320), encode_(url_encoding) {}

  XmlWriter& w() { return w_; }

  // A field S3 encodes under encoding-type=url.
  void KeyElement(std::string_view name, std::string_view value) {
    if (!encode_) {
      w_.Element(name, value);
      return;
    }
    scratch_.clear();
    AppendListingUrlEncoded(scratch_, value);
    w_.Element(name, scratch_);
  }

  // <Delimiter> and <EncodingType> sit together before IsTruncated in every listing.
  void DelimiterAndEncodingType(std::string_view delimiter) {
    if (!delimiter.empty()) KeyElement("Delimiter", delimiter);
    if (encode_) w_.Element("EncodingType", "url");
  }

  void CommonPrefixes(const std::vector<std::string>& prefixes) {
    for (const std::string& prefix : prefixes) {
      w_.Open("CommonPrefixes");
      KeyElement("Prefix", prefix);
      w_.Close();
    }
  }

  void Contents(const ListedObject& object) {
    w_.Open("Contents");
    KeyElement("Key", object.key);
    w_.TimestampElement("LastModified", object.last_modified_millis);
    WriteETag(w_, object.etag);
    ChecksumAlgorithmAndType(object);
    w_.UintElement("Size", object.size);
    if (object.owner.has_value()) WriteCanonicalUser(w_, "Owner", *object.owner);
    w_.Element("StorageClass", object.storage_class);
    w_.Close();
  }

  void Version(const ListedVersion& version) {
    const ListedObject& object = version.object;
    w_.Open(version.delete_marker ? "DeleteMarker" : "Version");
    KeyElement("Key", object.key);
    w_.Element("VersionId", version.version_id);
    w_.BoolElement("IsLatest", version.is_latest);
    w_.TimestampElement("LastModified", object.last_modified_millis);
    if (!version.delete_marker) {
      WriteETag(w_, object.etag);
      ChecksumAlgorithmAndType(object);
      w_.UintElement("Size", object.size);
      w_.Element("StorageClass", object.storage_class);
    }
    // In versions S3 puts Owner last (after StorageClass), unlike in <Contents>.
    if (object.owner.has_value()) WriteCanonicalUser(w_, "Owner", *object.owner);
    w_.Close();
  }

  std::string Take() { return w_.Take(); }

 private:
  void ChecksumAlgorithmAndType(const ListedObject& object) {
    if (!object.checksum_algorithm.empty()) {
      w_.Element("ChecksumAlgorithm", object.checksum_algorithm);
    }
    if (!object.checksum_type.empty()) w_.Element("ChecksumType", object.checksum_type);
  }

  XmlWriter w_;
  bool encode_;
  std::string scratch_;
};

}  // namespace

std::string ListingUrlEncode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendListingUrlEncoded(out, text);
  return out;
}

std::string ListObjectsV2Xml(const ListObjectsV2Result& result) {
  ListingWriter lw(result.url_encoding, result.contents.size() + result.common_prefixes.size());
  XmlWriter& w = lw.w();
  w.Declaration();
  w.Open("ListBucketResult", kS3Namespace);
  w.Element("Name", result.bucket);
  lw.KeyElement("Prefix", result.prefix);
  if (!result.start_after.empty()) lw.KeyElement("StartAfter", result.start_after);
  if (!result.continuation_token.empty()) {
    w.Element("ContinuationToken", result.continuation_token);
  }
  if (!result.next_continuation_token.empty()) {
    w.Element("NextContinuationToken", result.next_continuation_token);
  }
  w.UintElement("KeyCount", result.contents.size() + result.common_prefixes.size());
  w.IntElement("MaxKeys", result.max_keys);
  lw.DelimiterAndEncodingType(result.delimiter);
  w.BoolElement("IsTruncated", result.is_truncated);
  for (const ListedObject& object : result.contents) lw.Contents(object);
  lw.CommonPrefixes(result.common_prefixes);
  w.Close();
  return lw.Take();
}

std::string ListObjectsV1Xml(const ListObjectsV1Result& result) {
  ListingWriter lw(result.url_encoding, result.contents.size() + result.common_prefixes.size());
  XmlWriter& w = lw.w();
  w.Declaration();
  w.Open("ListBucketResult", kS3Namespace);
  w.Element("Name", result.bucket);
  lw.KeyElement("Prefix", result.prefix);
  lw.KeyElement("Marker", result.marker);
  if (!result.delimiter.empty() && !result.next_marker.empty()) {
    lw.KeyElement("NextMarker", result.next_marker);
  }
  w.IntElement("MaxKeys", result.max_keys);
  lw.DelimiterAndEncodingType(result.delimiter);
  w.BoolElement("IsTruncated", result.is_truncated);
  for (const ListedObject& object : result.contents) lw.Contents(object);
  lw.CommonPrefixes(result.common_prefixes);
  w.Close();
  return lw.Take();
}

std::string ListVersionsXml(const ListVersionsResult& result) {
  ListingWriter lw(result.url_encoding, result.versions.size() + result.common_prefixes.size());
  XmlWriter& w = lw.w();
  w.Declaration();
  w.Open("ListVersionsResult", kS3Namespace);
  w.Element("Name", result.bucket);
  lw.KeyElement("Prefix", result.prefix);
  lw.KeyElement("KeyMarker", result.key_marker);
  w.Element("VersionIdMarker", result.version_id_marker);
  if (!result.next_key_marker.empty()) lw.KeyElement("NextKeyMarker", result.next_key_marker);
  if (!result.next_version_id_marker.empty()) {
    w.Element("NextVersionIdMarker", result.next_version_id_marker);
  }
  w.IntElement("MaxKeys", result.max_keys);
  lw.DelimiterAndEncodingType(result.delimiter);
  w.BoolElement("IsTruncated", result.is_truncated);
  for (const ListedVersion& version : result.versions) lw.Version(version);
  lw.CommonPrefixes(result.common_prefixes);
  w.Close();
  return lw.Take();
}

std::string ListPartsXml(const ListPartsResult& result) {
  XmlWriter w(512 + result.parts.size() * 256);
  w.Declaration();
  w.Open("ListPartsResult", kS3Namespace);
  w.Element("Bucket", result.bucket);
  w.Element("Key", result.key);
  w.Element("UploadId", result.upload_id);
  w.UintElement("PartNumberMarker", result.part_number_marker);
  w.UintElement("NextPartNumberMarker", result.next_part_number_marker);
  w.IntElement("MaxParts", result.max_parts);
  w.BoolElement("IsTruncated", result.is_truncated);
  for (const ListedPart& part : result.parts) {
    w.Open("Part");
    w.UintElement("PartNumber", part.part_number);
    w.TimestampElement("LastModified", part.last_modified_millis);
    WriteETag(w, part.etag);
    WriteChecksums(w, part.checksums);
    w.UintElement("Size", part.size);
    w.Close();
  }
  WriteCanonicalUser(w, "Initiator", result.initiator);
  WriteCanonicalUser(w, "Owner", result.owner);
  w.Element("StorageClass", result.storage_class);
  if (!result.checksum_algorithm.empty()) {
    w.Element("ChecksumAlgorithm", result.checksum_algorithm);
  }
  if (!result.checksum_type.empty()) w.Element("ChecksumType", result.checksum_type);
  w.Close();
  return w.Take();
}

std::string ListMultipartUploadsXml(const ListMultipartUploadsResult& result) {
  ListingWriter lw(result.url_encoding, result.uploads.size() + result.common_prefixes.size());
  XmlWriter& w = lw.w();
  w.Declaration();
  w.Open("ListMultipartUploadsResult", kS3Namespace);
  w.Element("Bucket", result.bucket);
  lw.KeyElement("KeyMarker", result.key_marker);
  w.Element("UploadIdMarker", result.upload_id_marker);
  lw.KeyElement("NextKeyMarker", result.next_key_marker);
  w.Element("NextUploadIdMarker", result.next_upload_id_marker);
  if (!result.delimiter.empty()) lw.KeyElement("Delimiter", result.delimiter);
  if (!result.prefix.empty()) lw.KeyElement("Prefix", result.prefix);
  if (result.url_encoding) w.Element("EncodingType", "url");
  w.IntElement("MaxUploads", result.max_uploads);
  w.BoolElement("IsTruncated", result.is_truncated);
  for (const ListedUpload& upload : result.uploads) {
    w.Open("Upload");
    lw.KeyElement("Key", upload.key);
    w.Element("UploadId", upload.upload_id);
    WriteCanonicalUser(w, "Initiator", upload.initiator);
    WriteCanonicalUser(w, "Owner", upload.owner);
    w.Element("StorageClass", upload.storage_class);
    w.TimestampElement("Initiated", upload.initiated_millis);
    if (!upload.checksum_algorithm.empty()) {
      w.Element("ChecksumAlgorithm", upload.checksum_algorithm);
    }
    if (!upload.checksum_type.empty()) w.Element("ChecksumType", upload.checksum_type);
    w.Close();
  }
  lw.CommonPrefixes(result.common_prefixes);
  w.Close();
  return lw.Take();
}

}  // namespace trainload::s3
