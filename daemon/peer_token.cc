#include "daemon/peer_token.h"

#include <sys/stat.h>

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace xenia {

absl::StatusOr<std::string> ReadPeerToken(const std::string& path) {
  auto bad = [&path](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("peer_token_file \"", path, "\": ", why));
  };
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return bad("cannot be read (no such file?)");
  if (!S_ISREG(st.st_mode)) return bad("is not a regular file");
  if ((st.st_mode & 077) != 0) {
    return bad(absl::StrFormat(
        "is readable or writable by others (mode %04o); whoever reads it can move guests "
        "between hosts: chmod 600 it",
        st.st_mode & 07777));
  }
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return bad("is empty");
  std::string token(absl::StripAsciiWhitespace(line));
  if (token.size() < 16) return bad("the token must be at least 16 characters");
  for (char c : token) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
      return bad("the token must be printable ASCII without spaces");
    }
  }
  return token;
}

}  // namespace xenia
