// Cryptographic digests (MD5, SHA-1, SHA-256) and HMAC-SHA256, streaming and one-shot,
// over OpenSSL's EVP interface.
//
// A Digest object is not thread-safe; use one per stream. The free functions are thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace trainload {

enum class DigestAlgorithm { kMd5, kSha1, kSha256 };

// Digest length in bytes: 16, 20 or 32.
size_t DigestSize(DigestAlgorithm algorithm);

class Digest {
 public:
  explicit Digest(DigestAlgorithm algorithm);
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;
  Digest(Digest&&) noexcept;
  Digest& operator=(Digest&&) noexcept;

  void Update(std::span<const std::byte> data);
  void Update(std::string_view data);
  // Returns the raw digest and resets the object for a new stream.
  std::string Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

using Sha256Bytes = std::array<uint8_t, 32>;

std::string Md5(std::string_view data);      // raw 16 bytes
std::string Sha1(std::string_view data);     // raw 20 bytes
Sha256Bytes Sha256(std::string_view data);   // raw 32 bytes
std::string Sha256Hex(std::string_view data);  // lowercase hex
Sha256Bytes HmacSha256(std::span<const uint8_t> key, std::string_view data);
Sha256Bytes HmacSha256(std::string_view key, std::string_view data);

}  // namespace trainload
