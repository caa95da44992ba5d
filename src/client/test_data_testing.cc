#include "client/test_data_testing.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

namespace trainload::test_support {

std::string Pattern(size_t size, uint64_t seed) {
  std::string out(size, '\0');
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i + 8 <= size; i += 8) {
    uint64_t v = rng();
    std::memcpy(&out[i], &v, 8);
  }
  for (size_t i = size / 8 * 8; i < size; ++i) out[i] = static_cast<char>(rng());
  return out;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteFile(const std::filesystem::path& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

ListOptions Listing(std::string prefix, std::string delimiter, int max_keys) {
  ListOptions options;
  options.prefix = std::move(prefix);
  options.delimiter = std::move(delimiter);
  options.max_keys = max_keys;
  return options;
}

}  // namespace trainload::test_support
