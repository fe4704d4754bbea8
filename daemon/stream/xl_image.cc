#include "daemon/stream/xl_image.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "daemon/stream/little_endian.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace xenia::stream {
namespace {

// 32 bytes: "Xen saved domain, xl format\n \0 \r".
constexpr char kMagic[32] = {'X', 'e', 'n', ' ', 's', 'a',  'v', 'e',  'd', ' ', 'd',
                             'o', 'm', 'a', 'i', 'n', ',',  ' ', 'x',  'l', ' ', 'f',
                             'o', 'r', 'm', 'a', 't', '\n', ' ', '\0', ' ', '\r'};
// xl writes its integers in the host's byte order and checks this value;
// every Xen host xeniad runs on is little-endian.
constexpr uint32_t kByteOrder = 0x01020304u;

// Reads up to `n` bytes; fewer only where the source ends.
absl::StatusOr<size_t> ReadUpTo(ByteSource& source, char* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    absl::StatusOr<size_t> r = source.Read(out + got, n - got);
    if (!r.ok()) return r.status();
    if (*r == 0) break;
    got += *r;
  }
  return got;
}

absl::Status Truncated(absl::string_view name, int64_t at, absl::string_view where) {
  return absl::DataLossError(
      absl::StrCat(name, " is truncated: it ends at byte ", at, ", inside ", where));
}

}  // namespace

std::string EncodeXlImageHeader(absl::string_view config_json) {
  // The optional data: the config's length (with its NUL), the config, NUL.
  const uint32_t config_len = static_cast<uint32_t>(config_json.size() + 1);
  std::string out(kXlHeaderSize + 4, '\0');
  std::memcpy(out.data(), kMagic, sizeof(kMagic));
  PutU32(out.data() + 32, kByteOrder);
  PutU32(out.data() + 36, kXlFlagJson | kXlFlagStreamV2);
  PutU32(out.data() + 40, 0);
  PutU32(out.data() + 44, 4 + config_len);
  PutU32(out.data() + 48, config_len);
  out.append(config_json.data(), config_json.size());
  out.push_back('\0');
  return out;
}

absl::StatusOr<XlImageHeader> ReadXlImageHeader(ByteSource& source, absl::string_view name) {
  char head[kXlHeaderSize];
  absl::StatusOr<size_t> got = ReadUpTo(source, head, sizeof(head));
  if (!got.ok()) return got.status();
  const size_t magic_seen = std::min(*got, sizeof(kMagic));
  if (magic_seen == 0 || std::memcmp(head, kMagic, magic_seen) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(name,
                     " is not an xl save image (it does not start with \"Xen saved "
                     "domain, xl format\")"));
  }
  if (*got < sizeof(head)) {
    return Truncated(name, static_cast<int64_t>(*got), "xl's 48-byte header");
  }
  XlImageHeader header;
  const uint32_t byte_order = GetU32(head + 32);
  if (byte_order != kByteOrder) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s was written on a host of another byte order (byte-order mark 0x%08x, not "
        "0x%08x)",
        name, byte_order, kByteOrder));
  }
  header.mandatory_flags = GetU32(head + 36);
  header.optional_flags = GetU32(head + 40);
  const uint32_t optional_len = GetU32(head + 44);
  const uint32_t unknown = header.mandatory_flags & ~(kXlFlagJson | kXlFlagStreamV2);
  if (unknown != 0 || header.optional_flags != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s has xl format flags this xeniad does not know (mandatory 0x%x, optional 0x%x): "
        "a newer xl wrote it",
        name, header.mandatory_flags, header.optional_flags));
  }
  if ((header.mandatory_flags & kXlFlagStreamV2) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(name,
                     " holds a version 1 libxl stream (written by Xen before 4.6); convert it with "
                     "Xen's convert-legacy-stream first"));
  }
  if (optional_len > kXlMaxOptionalData) {
    return absl::DataLossError(absl::StrCat(name, " is corrupted: xl's header says ", optional_len,
                                            " bytes of optional data follow (at most ",
                                            kXlMaxOptionalData, " are plausible)"));
  }
  std::string optional(optional_len, '\0');
  got = ReadUpTo(source, optional.data(), optional.size());
  if (!got.ok()) return got.status();
  if (*got < optional.size()) {
    return Truncated(name, static_cast<int64_t>(kXlHeaderSize + *got),
                     absl::StrCat("xl's optional data (", optional_len, " bytes from byte 48)"));
  }
  header.size = static_cast<int64_t>(kXlHeaderSize + optional_len);
  if (optional_len == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(name,
                     " holds no domain configuration (xl wrote none); xeniad restores only "
                     "images that carry their configuration"));
  }
  if (optional_len < 4) {
    return absl::DataLossError(absl::StrCat(name, " is corrupted: its optional data is ",
                                            optional_len, " bytes, too short for a length"));
  }
  const uint32_t config_len = GetU32(optional.data());
  if (config_len > optional_len - 4) {
    return absl::DataLossError(absl::StrCat(name, " is corrupted: its configuration is said to be ",
                                            config_len, " bytes, but only ", optional_len - 4,
                                            " follow"));
  }
  if ((header.mandatory_flags & kXlFlagJson) == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        name,
        " holds its domain configuration as xl.cfg text (an xl before 4.5 wrote it), which "
        "xeniad does not read"));
  }
  absl::string_view config(optional.data() + 4, config_len);
  if (!config.empty() && config.back() == '\0') config.remove_suffix(1);
  if (config.find('\0') != absl::string_view::npos) {
    return absl::DataLossError(
        absl::StrCat(name, " is corrupted: its JSON configuration holds a NUL byte"));
  }
  header.config_json = std::string(config);
  return header;
}

absl::StatusOr<XlDomainIdentity> ReadXlDomainIdentity(absl::string_view config_json,
                                                      absl::string_view what) {
  google::protobuf::Struct config;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(std::string(config_json), &config, options)
           .ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the domain configuration in ", what, " is not valid JSON"));
  }
  auto c_info = config.fields().find("c_info");
  if (c_info == config.fields().end() || !c_info->second.has_struct_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the domain configuration in ", what, " has no c_info"));
  }
  const auto& fields = c_info->second.struct_value().fields();
  XlDomainIdentity identity;
  if (auto it = fields.find("name"); it != fields.end()) identity.name = it->second.string_value();
  if (auto it = fields.find("uuid"); it != fields.end()) identity.uuid = it->second.string_value();
  if (identity.name.empty() || identity.uuid.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the domain configuration in ", what, " lacks the domain's name or uuid"));
  }
  return identity;
}

}  // namespace xenia::stream
