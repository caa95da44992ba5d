#include "s3/xml_writer.h"

#include <gtest/gtest.h>

#include <pugixml.hpp>
#include <random>
#include <string>

#include "common/time_format.h"

namespace trainload::s3 {
namespace {

// Parses `xml` the way a client would and returns the text of the first <Key>.
std::string ParsedKey(const std::string& xml) {
  pugi::xml_document doc;
  const auto parsed =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata_single);
  EXPECT_TRUE(parsed) << parsed.description() << " in " << xml;
  return doc.document_element().child("Key").child_value();
}

TEST(XmlWriterTest, WritesNestedDocumentExactly) {
  XmlWriter w;
  w.Declaration();
  w.Open("ListBucketResult", kS3Namespace);
  w.Element("Name", "bucket");
  w.Element("Prefix", "");
  w.IntElement("MaxKeys", 1000);
  w.BoolElement("IsTruncated", false);
  w.Open("Contents");
  w.Element("Key", "a");
  w.UintElement("Size", 18446744073709551615ull);
  w.Close();
  w.EmptyElement("Empty");
  EXPECT_EQ(w.depth(), 1u);
  w.Close();
  EXPECT_EQ(w.depth(), 0u);
  EXPECT_EQ(w.Take(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Name>bucket</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys>"
            "<IsTruncated>false</IsTruncated><Contents><Key>a</Key>"
            "<Size>18446744073709551615</Size></Contents><Empty/></ListBucketResult>");
}

TEST(XmlWriterTest, TakeLeavesWriterEmptyAndReusable) {
  XmlWriter w;
  w.Element("A", "1");
  EXPECT_EQ(w.Take(), "<A>1</A>");
  EXPECT_EQ(w.view(), "");
  w.BoolElement("B", true);
  w.IntElement("C", -5);
  EXPECT_EQ(w.Take(), "<B>true</B><C>-5</C>");
}

TEST(XmlWriterTest, EmptyElementWithNamespace) {
  XmlWriter w;
  w.EmptyElement("LocationConstraint", kS3Namespace);
  EXPECT_EQ(w.Take(), "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>");
}

TEST(XmlWriterTest, EscapesMarkupCharacters) {
  XmlWriter w;
  w.Element("Key", "a&b<c>d\"e'f");
  EXPECT_EQ(w.Take(), "<Key>a&amp;b&lt;c&gt;d&quot;e&apos;f</Key>");
}

TEST(XmlWriterTest, QuotedETagIsWrittenLikeS3) {
  XmlWriter w;
  w.Element("ETag", "\"9bb58f26192e4ba00f01e2e7b136bbd8\"");
  EXPECT_EQ(w.Take(), "<ETag>&quot;9bb58f26192e4ba00f01e2e7b136bbd8&quot;</ETag>");
}

TEST(XmlWriterTest, ControlCharactersBecomeHexReferencesLikeS3) {
  XmlWriter w;
  w.Element("Key",
            "a\x01"
            "b\x1b"
            "c\rd\te\nf\x7f");
  // TAB, LF and DEL are legal XML characters and go out raw.
  EXPECT_EQ(w.Take(), "<Key>a&#x1;b&#x1b;c&#xd;d\te\nf\x7f</Key>");
}

TEST(XmlWriterTest, NulByteIsReferencedNotTruncated) {
  XmlWriter w;
  w.Element("Key", std::string_view("a\0b", 3));
  EXPECT_EQ(w.Take(), "<Key>a&#x0;b</Key>");
}

TEST(XmlWriterTest, Utf8PassesThroughUnchanged) {
  XmlWriter w;
  w.Element("Key", "photos/été/日本語/🙂.jpg");
  EXPECT_EQ(w.Take(), "<Key>photos/été/日本語/🙂.jpg</Key>");
}

TEST(XmlWriterTest, EscapedTextParsesBackToTheOriginal) {
  const std::string keys[] = {
      "plain",
      "  leading and trailing spaces  ",
      "a&b<c>d\"e'f]]>g",
      "&amp; already looks escaped",
      "日本語/ü/🙂",
      "tab\tlf\ncr\rcrlf\r\n",
      "ctl\x01\x02\x1f",
  };
  for (const std::string& key : keys) {
    XmlWriter w;
    w.Open("Result");
    w.Element("Key", key);
    w.Close();
    EXPECT_EQ(ParsedKey(w.Take()), key);
  }
}

TEST(XmlWriterTest, TextAppendsEscapedCharacterData) {
  XmlWriter w;
  w.Open("LocationConstraint");
  w.Text("eu-west-1&");
  w.Close();
  EXPECT_EQ(w.Take(), "<LocationConstraint>eu-west-1&amp;</LocationConstraint>");
}

TEST(XmlWriterTest, ClosesLongNamesCorrectlyAcrossBufferGrowth) {
  // A tiny reserve forces reallocation between Open and Close.
  XmlWriter w(1);
  const std::string name = "AVeryLongElementNameThatDoesNotFitInSmallStringStorage";
  w.Open(name);
  for (int i = 0; i < 100; ++i) w.Element("Key", std::string(100, 'k'));
  w.Close();
  const std::string out = w.Take();
  EXPECT_EQ(out.substr(0, name.size() + 2), "<" + name + ">");
  EXPECT_EQ(out.substr(out.size() - name.size() - 3), "</" + name + ">");
}

TEST(XmlWriterTest, TimestampElementFormatsLikeS3) {
  XmlWriter w;
  w.TimestampElement("LastModified", 1255369830000);
  w.TimestampElement("T", 0);
  w.TimestampElement("T", 951782400999);  // 2000-02-29 (leap day), .999
  EXPECT_EQ(w.Take(),
            "<LastModified>2009-10-12T17:50:30.000Z</LastModified>"
            "<T>1970-01-01T00:00:00.000Z</T><T>2000-02-29T00:00:00.999Z</T>");
}

TEST(XmlWriterTest, TimestampElementAgreesWithFormatIso8601Millis) {
  std::mt19937_64 rng(42);
  // Random times from year 0 to 9999, then fixed edges.
  std::uniform_int_distribution<int64_t> any(-62167219200000, 253402300799999);
  std::vector<int64_t> values;
  // Epoch, second and day boundaries either side of it, the first and last four-digit years,
  // and the first values outside them.
  for (int64_t edge : {0, -1, 1, 999, 1000, -1000, -86400000, 86399999}) values.push_back(edge);
  for (int64_t edge : {-62167219200000, 253402300799999, 253402300800000, -62167219200001}) {
    values.push_back(edge);
  }
  for (int i = 0; i < 100000; ++i) values.push_back(any(rng));
  for (const int64_t millis : values) {
    XmlWriter w;
    w.TimestampElement("T", millis);
    ASSERT_EQ(w.Take(), "<T>" + FormatIso8601Millis(millis) + "</T>") << millis;
  }
}

TEST(XmlWriterTest, AppendEscapedWorksOnExternalString) {
  std::string out = "x=";
  XmlWriter::AppendEscaped(out, "<>");
  EXPECT_EQ(out, "x=&lt;&gt;");
}

}  // namespace
}  // namespace trainload::s3
