#include "common/digest.h"

// The low-level SHA256_* functions are deprecated in OpenSSL 3 but remain the fast path.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "common/encoding.h"

namespace trainload {
namespace {

// OpenSSL 3 looks an algorithm up in its provider tables on every EVP_DigestInit_ex() given a
// legacy EVP_md5()-style handle; fetching once and reusing the handle removes that from the
// per-request path (SigV4 verification hashes several small strings per request).
const EVP_MD* Md(DigestAlgorithm algorithm) {
  static const EVP_MD* const kMd5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  static const EVP_MD* const kSha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  static const EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  switch (algorithm) {
    case DigestAlgorithm::kMd5: return kMd5;
    case DigestAlgorithm::kSha1: return kSha1;
    case DigestAlgorithm::kSha256: return kSha256;
  }
  return nullptr;
}

// SHA-256 straight through the low-level interface: OpenSSL 3's EVP layer allocates a provider
// context on every EVP_DigestInit_ex, which cost about 1 us per small hash, more than the hash
// itself; SigV4 verification does several per request.
void Sha256Into(std::initializer_list<std::string_view> pieces, uint8_t* out) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  for (std::string_view piece : pieces) SHA256_Update(&ctx, piece.data(), piece.size());
  SHA256_Final(out, &ctx);
}

}  // namespace

size_t DigestSize(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::kMd5: return 16;
    case DigestAlgorithm::kSha1: return 20;
    case DigestAlgorithm::kSha256: return 32;
  }
  return 0;
}

struct Digest::Impl {
  const EVP_MD* md;
  EVP_MD_CTX* ctx;
};

Digest::Digest(DigestAlgorithm algorithm)
    : impl_(std::make_unique<Impl>(Impl{Md(algorithm), EVP_MD_CTX_new()})) {
  // Allocation failure of a digest context leaves no sane way to continue.
  if (impl_->ctx == nullptr || EVP_DigestInit_ex(impl_->ctx, impl_->md, nullptr) != 1) std::abort();
}

Digest::~Digest() {
  if (impl_) EVP_MD_CTX_free(impl_->ctx);
}

Digest::Digest(Digest&&) noexcept = default;
Digest& Digest::operator=(Digest&& other) noexcept {
  if (this != &other) {
    if (impl_) EVP_MD_CTX_free(impl_->ctx);
    impl_ = std::move(other.impl_);
  }
  return *this;
}

void Digest::Update(std::span<const std::byte> data) {
  EVP_DigestUpdate(impl_->ctx, data.data(), data.size());
}

void Digest::Update(std::string_view data) { EVP_DigestUpdate(impl_->ctx, data.data(), data.size()); }

std::string Digest::Finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(impl_->ctx, out, &length);
  EVP_DigestInit_ex(impl_->ctx, impl_->md, nullptr);
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string Md5(std::string_view data) {
  Digest digest(DigestAlgorithm::kMd5);
  digest.Update(data);
  return digest.Finish();
}

std::string Sha1(std::string_view data) {
  Digest digest(DigestAlgorithm::kSha1);
  digest.Update(data);
  return digest.Finish();
}

Sha256Bytes Sha256(std::string_view data) {
  Sha256Bytes out;
  Sha256Into({data}, out.data());
  return out;
}

std::string Sha256Hex(std::string_view data) {
  Sha256Bytes raw = Sha256(data);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
}

// HMAC (RFC 2104) spelled out over the cached SHA-256: OpenSSL 3's HMAC() builds and frees an
// EVP_MAC context per call, which made it several times slower than the two hashes it needs.
Sha256Bytes HmacSha256(std::span<const uint8_t> key, std::string_view data) {
  constexpr size_t kBlock = 64;
  uint8_t block[kBlock] = {};
  if (key.size() > kBlock) {
    Sha256Into({std::string_view(reinterpret_cast<const char*>(key.data()), key.size())}, block);
  } else {
    std::memcpy(block, key.data(), key.size());
  }
  char inner_pad[kBlock], outer_pad[kBlock];
  for (size_t i = 0; i < kBlock; ++i) {
    inner_pad[i] = static_cast<char>(block[i] ^ 0x36);
    outer_pad[i] = static_cast<char>(block[i] ^ 0x5c);
  }
  uint8_t inner[32];
  Sha256Into({std::string_view(inner_pad, kBlock), data}, inner);
  Sha256Bytes out;
  Sha256Into({std::string_view(outer_pad, kBlock),
              std::string_view(reinterpret_cast<const char*>(inner), sizeof inner)},
             out.data());
  return out;
}

Sha256Bytes HmacSha256(std::string_view key, std::string_view data) {
  return HmacSha256(std::span(reinterpret_cast<const uint8_t*>(key.data()), key.size()), data);
}

}  // namespace trainload
