// The INI dialect of ~/.aws/credentials and ~/.aws/config: "[section]" headers and
// "key = value" lines, '#' and ';' comments. The server writes its generated credentials in this
// format so that AWS_SHARED_CREDENTIALS_FILE can point straight at them.
// Pure functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "trainload/status.h"

namespace trainload::s3 {

// section name -> (key -> value). Keys are lowercased; section names are kept as written
// ("default", "profile dev"). Later duplicates override earlier ones, as in botocore.
using AwsIni = std::map<std::string, std::map<std::string, std::string>>;

// Errors (kInvalidArgument) name `source` and the line number of a line that is neither a
// section header, a key/value pair, a comment nor blank.
Result<AwsIni> ParseAwsIni(std::string_view text, std::string_view source);

}  // namespace trainload::s3
