#include "server/multipart_digests.h"

#include "common/digest.h"
#include "common/encoding.h"

namespace trainload::server {

std::string MultipartETag(const std::vector<PartDigest>& parts) {
  Digest md5(DigestAlgorithm::kMd5);
  for (const PartDigest& part : parts) md5.Update(part.md5);
  return HexEncode(md5.Finish()) + "-" + std::to_string(parts.size());
}

std::optional<std::string> CompositeChecksum(ChecksumAlgorithm algorithm,
                                             const std::vector<PartDigest>& parts) {
  std::unique_ptr<Checksummer> checksummer = Checksummer::Create(algorithm);
  for (const PartDigest& part : parts) {
    if (part.checksum.size() != ChecksumSize(algorithm)) return std::nullopt;
    checksummer->Update(part.checksum);
  }
  return checksummer->Finish();
}

std::optional<std::string> FullObjectChecksum(ChecksumAlgorithm algorithm,
                                              const std::vector<PartDigest>& parts) {
  if (!IsCrc(algorithm) || parts.empty()) return std::nullopt;
  std::optional<std::string> total;
  for (const PartDigest& part : parts) {
    if (part.checksum.size() != ChecksumSize(algorithm)) return std::nullopt;
    total = total ? CombineCrc(algorithm, *total, part.checksum, part.size) : part.checksum;
    if (!total) return std::nullopt;
  }
  return total;
}

}  // namespace trainload::server
