// Object keys that break naive XML or URL handling, shared by the XML tests of this folder.
#pragma once

#include <string>
#include <vector>

namespace trainload::test_support {

// Keys that break naive XML or URL handling: markup characters, entities, UTF-8, spaces at the
// ends, '+' and '%' (which encoding-type=url must tell apart from space), and control
// characters (CR must survive end-of-line normalisation).
inline const std::vector<std::string>& TrickyKeys() {
  static const std::vector<std::string> keys = {
      "plain/key.txt",
      "a&b<c>d\"e'f",
      "&amp; is not an entity",
      "\xC3\xBCnic\xC3\xB8"
      "de/\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E.bin",
      " leading and trailing ",
      " ",
      "plus+and%25percent",
      "space in/the middle",
      "cr\rlf\ncrlf\r\ntab\t",
      "ctrl\x01\x1f",
      "]]>cdata-end",
      "emoji-\xF0\x9F\x98\x80",
  };
  return keys;
}

}  // namespace trainload::test_support
