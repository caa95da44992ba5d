#include "common/digest.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>

#include "common/encoding.h"

namespace trainload {
namespace {

const EVP_MD* Md(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::kMd5: return EVP_md5();
    case DigestAlgorithm::kSha1: return EVP_sha1();
    case DigestAlgorithm::kSha256: return EVP_sha256();
  }
  return nullptr;
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
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &length, EVP_sha256(), nullptr);
  return out;
}

std::string Sha256Hex(std::string_view data) {
  Sha256Bytes raw = Sha256(data);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
}

Sha256Bytes HmacSha256(std::span<const uint8_t> key, std::string_view data) {
  Sha256Bytes out;
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &length);
  return out;
}

Sha256Bytes HmacSha256(std::string_view key, std::string_view data) {
  return HmacSha256(std::span(reinterpret_cast<const uint8_t*>(key.data()), key.size()), data);
}

}  // namespace trainload
