#include "server/credentials.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "s3/aws_ini.h"
#include "s3/error_code.h"

namespace trainload::server {
namespace {

// Random text from `alphabet`, from the kernel's CSPRNG.
Result<std::string> RandomText(size_t length, std::string_view alphabet) {
  std::string bytes(length, '\0');
  if (getrandom(bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(length)) {
    return Error(ErrnoStatus("getrandom", errno));
  }
  std::string out;
  for (char b : bytes) out += alphabet[static_cast<unsigned char>(b) % alphabet.size()];
  return out;
}

}  // namespace

Result<std::string> CredentialStore::SecretFor(std::string_view access_key_id) const {
  for (const AccessKey& key : keys_) {
    if (key.id == access_key_id) return key.secret;
  }
  return Error(s3::MakeError(s3::ErrorCode::kInvalidAccessKeyId,
                             "The AWS Access Key Id you provided does not exist in our records: '" +
                                 std::string(access_key_id) + "'"));
}

Result<AccessKey> ReadCredentialsFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return Error(ErrnoStatus("cannot read credentials file " + path.string(), errno));
  std::stringstream text;
  text << in.rdbuf();
  TL_ASSIGN_OR_RETURN(s3::AwsIni ini, s3::ParseAwsIni(text.str(), path.string()));
  auto section = ini.find("default");
  if (section == ini.end()) {
    return Error(InvalidArgument("credentials file " + path.string() +
                                 " has no [default] section"));
  }
  AccessKey key{section->second["aws_access_key_id"], section->second["aws_secret_access_key"]};
  if (key.id.empty() || key.secret.empty()) {
    return Error(InvalidArgument("credentials file " + path.string() +
                                 " needs aws_access_key_id and aws_secret_access_key in [default]"));
  }
  return key;
}

Result<GeneratedKey> LoadOrCreateCredentials(const std::filesystem::path& data_dir) {
  std::filesystem::path path = data_dir / "credentials";
  if (std::filesystem::exists(path)) {
    TL_ASSIGN_OR_RETURN(AccessKey key, ReadCredentialsFile(path));
    return GeneratedKey{std::move(key), path, false};
  }
  TL_ASSIGN_OR_RETURN(std::string id, RandomText(20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"));
  TL_ASSIGN_OR_RETURN(
      std::string secret,
      RandomText(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"));
  id = "TL" + id.substr(2);
  std::string text = "[default]\naws_access_key_id = " + id + "\naws_secret_access_key = " +
                     secret + "\n";
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error(ErrnoStatus("cannot create " + tmp.string(), errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Error(ErrnoStatus("cannot write " + path.string(), ok ? errno : saved));
  }
  return GeneratedKey{AccessKey{std::move(id), std::move(secret)}, path, true};
}

}  // namespace trainload::server
