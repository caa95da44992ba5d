#include "common/digest.h"

#include <gtest/gtest.h>

#include "common/encoding.h"

namespace trainload {
namespace {

TEST(DigestTest, PublishedVectors) {
  EXPECT_EQ(HexEncode(Md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(HexEncode(Md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(HexEncode(Sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

std::string Hex(const Sha256Bytes& b) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

// RFC 4231 test cases 1, 2 and 6 (a key longer than the block size).
TEST(DigestTest, HmacSha256Rfc4231) {
  EXPECT_EQ(Hex(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(Hex(HmacSha256(std::string_view("Jefe"), "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(Hex(HmacSha256(std::string(131, '\xaa'),
                           "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(DigestTest, StreamingEqualsOneShotAndResets) {
  std::string data(100000, 'z');
  Digest md5(DigestAlgorithm::kMd5);
  for (size_t i = 0; i < data.size(); i += 777) md5.Update(std::string_view(data).substr(i, 777));
  EXPECT_EQ(md5.Finish(), Md5(data));
  md5.Update("abc");
  EXPECT_EQ(HexEncode(md5.Finish()), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(DigestSize(DigestAlgorithm::kSha1), 20u);
}

}  // namespace
}  // namespace trainload
