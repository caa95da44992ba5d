// XmlWriter: a small append-only writer for the XML bodies S3 sends (listings, results, errors).
//
// Responses sit on the hot path (a 1000-key listing is built for every page), so the writer
// appends straight into one std::string: no DOM, no allocation per element, the names of open
// elements are remembered as offsets into the output rather than copied.
//
//   XmlWriter w;
//   w.Declaration();
//   w.Open("ListBucketResult", kS3Namespace);
//   w.Element("Name", bucket);
//   w.IntElement("MaxKeys", 1000);
//   w.Close();
//   std::string body = w.Take();
//
// Escaping (text and attribute values): & < > " ' become &amp; &lt; &gt; &quot; &apos; (S3 writes
// ETags as &quot;...&quot;). Bytes 0x00-0x1F other than TAB and LF become hexadecimal character
// references (&#x1; &#xd;), which is what S3 itself sends for keys holding control characters:
// CR must be a reference or XML parsers turn it into LF, and the others are not allowed raw in
// XML 1.0 (strict parsers reject S3's references too; clients avoid that with encoding-type=url).
// Every other byte, including UTF-8 sequences, is copied unchanged: callers pass UTF-8.
//
// Element names are written as given (callers pass constant, valid names). Misuse (Close with no
// open element, Take with elements still open) is a programming error checked by assert().
//
// Thread-compatible: one writer per response.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trainload::s3 {

// The namespace S3 puts on the root element of every result document (not on <Error>).
inline constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

class XmlWriter {
 public:
  // `reserve_bytes` pre-sizes the output (listings know roughly how big they will be).
  explicit XmlWriter(size_t reserve_bytes = 256);

  // `<?xml version="1.0" encoding="UTF-8"?>` and a newline, as S3 starts its bodies.
  void Declaration();

  // `<name>` or `<name xmlns="...">` when `xmlns` is not empty; must be matched by Close().
  void Open(std::string_view name, std::string_view xmlns = {});
  // Closes the innermost open element.
  void Close();

  // `<name>escaped text</name>`; an empty `text` gives `<name></name>` as S3 writes it.
  void Element(std::string_view name, std::string_view text);
  void IntElement(std::string_view name, int64_t value);
  void UintElement(std::string_view name, uint64_t value);
  // `true` / `false`.
  void BoolElement(std::string_view name, bool value);
  // S3's XML timestamp, "2009-10-12T17:50:30.000Z": the same text as FormatIso8601Millis
  // (common/time_format.h) but formatted in place, as listings write one per key.
  void TimestampElement(std::string_view name, int64_t unix_millis);
  // `<name/>` or `<name xmlns="..."/>`.
  void EmptyElement(std::string_view name, std::string_view xmlns = {});

  // Escaped character data inside the current element.
  void Text(std::string_view text);
  // Trusted markup appended as is (an element with attributes, which Open() cannot write).
  void Raw(std::string_view markup) { out_.append(markup); }

  // Number of elements opened and not yet closed.
  size_t depth() const { return open_.size(); }
  // The document so far (for tests and size checks).
  std::string_view view() const { return out_; }

  // Hands over the document; the writer is empty afterwards. All elements must be closed.
  std::string Take();

  // Appends `text` to `out` escaped as described above. Exposed for callers that build a
  // fragment without a writer.
  static void AppendEscaped(std::string& out, std::string_view text);

 private:
  void StartTag(std::string_view name, std::string_view xmlns);
  void EndTag(std::string_view name);

  std::string out_;
  // Offset and length of each open element's name inside out_ (right after its '<').
  std::vector<std::pair<size_t, size_t>> open_;
};

}  // namespace trainload::s3
