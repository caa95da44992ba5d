#include "s3/request_builders.h"

#include "s3/response_xml.h"
#include "s3/xml_writer.h"

namespace trainload::s3 {

std::string CompleteMultipartUploadBody(const std::vector<PartToComplete>& parts) {
  XmlWriter w(128 + parts.size() * 160);
  w.Declaration();
  w.Open("CompleteMultipartUpload", kS3Namespace);
  for (const PartToComplete& part : parts) {
    w.Open("Part");
    w.UintElement("PartNumber", part.part_number);
    // Quoted, as S3 returned it and as the SDKs send it back (WriteETag keeps existing quotes).
    WriteETag(w, part.etag);
    if (!part.checksum_name.empty()) w.Element(part.checksum_name, part.checksum_value);
    w.Close();
  }
  w.Close();
  return w.Take();
}

std::string DeleteObjectsBody(const std::vector<std::string>& keys, bool quiet) {
  size_t reserve = 128;
  for (const std::string& key : keys) reserve += key.size() + 32;
  XmlWriter w(reserve);
  w.Declaration();
  w.Open("Delete", kS3Namespace);
  // S3 accepts <Quiet> anywhere among the objects; false is the default and is left out.
  if (quiet) w.BoolElement("Quiet", true);
  for (const std::string& key : keys) {
    w.Open("Object");
    w.Element("Key", key);
    w.Close();
  }
  w.Close();
  return w.Take();
}

std::string CreateBucketBody(std::string_view region) {
  if (region.empty() || region == "us-east-1") return {};
  XmlWriter w(192 + region.size());
  w.Declaration();
  w.Open("CreateBucketConfiguration", kS3Namespace);
  w.Element("LocationConstraint", region);
  w.Close();
  return w.Take();
}

}  // namespace trainload::s3
