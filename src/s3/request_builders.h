// Builders for the XML request bodies the client sends: CompleteMultipartUpload, DeleteObjects
// and CreateBucket. The mirror image of request_xml.h (the server's parsers).
//
// Text goes through XmlWriter (xml_writer.h): & < > " ' are escaped, control characters become
// character references (CR as &#xd; so it survives end-of-line normalisation), and UTF-8 is
// copied unchanged, so any key made of valid characters reaches the server intact. A key holding
// a NUL byte cannot be carried by XML at all: callers reject such keys before building a body.
// Bodies start with the XML declaration and carry S3's namespace on the root; their
// Content-MD5 or checksum header is the caller's business.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trainload::s3 {

// One part of a CompleteMultipartUpload request.
struct PartToComplete {
  uint32_t part_number = 0;
  // As UploadPart returned it, with or without quotes; sent quoted.
  std::string etag{};
  // The part's checksum, e.g. {"ChecksumCRC64NVME", "base64"}; omitted when the name is empty.
  std::string checksum_name{};
  std::string checksum_value{};
};

// <CompleteMultipartUpload><Part><PartNumber/><ETag/>[<Checksum*/>]</Part>...
// </CompleteMultipartUpload>, parts in the order given (S3 wants ascending part numbers; the
// caller sorts). An empty list gives a body the server rejects (MalformedXML).
std::string CompleteMultipartUploadBody(const std::vector<PartToComplete>& parts);

// <Delete>[<Quiet>true</Quiet>]<Object><Key/></Object>...</Delete>. S3 takes at most 1,000 keys
// per request; the caller splits larger batches.
std::string DeleteObjectsBody(const std::vector<std::string>& keys, bool quiet);

// The CreateBucket body: empty for us-east-1 (given as "" or "us-east-1"), where S3 rejects a
// LocationConstraint naming it; else <CreateBucketConfiguration><LocationConstraint>region
// </LocationConstraint></CreateBucketConfiguration>.
std::string CreateBucketBody(std::string_view region);

}  // namespace trainload::s3
