// Test data shared by the tests of the client and of the layers above it (prefetch, fs):
// deterministic pseudo-random bytes, byte views and small file helpers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "trainload/client.h"

namespace trainload::test_support {

// `size` bytes that depend only on `seed`: equal inputs give equal bytes, different seeds give
// different bytes (so a test detects data from the wrong object or the wrong offset).
std::string Pattern(size_t size, uint64_t seed);

inline std::span<const std::byte> AsBytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

// The whole file, or "" when it cannot be read.
std::string ReadFile(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, std::string_view data);

ListOptions Listing(std::string prefix, std::string delimiter = "", int max_keys = 1000);

}  // namespace trainload::test_support
