#include "daemon/stream/image_reader.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/match.h"
#include "daemon/stream/stream_format.h"

namespace xenia::stream {

absl::string_view ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kXenia:
      return "a Xenia domain stream";
    case ImageFormat::kXl:
      return "an xl save image";
  }
  return "an image";
}

absl::StatusOr<size_t> ImageReader::ReplaySource::Read(char* buffer, size_t max) {
  if (pending.empty()) return source_.Read(buffer, max);
  const size_t n = std::min(max, pending.size());
  std::memcpy(buffer, pending.data(), n);
  pending.erase(0, n);
  return n;
}

ImageReader::ImageReader(ByteSource& source, std::string name)
    : replay_(source), name_(std::move(name)) {}

absl::Status ImageReader::ReadHead() {
  // Enough to tell the formats apart: xl's magic begins "Xen save", a
  // Xenia stream's "\x89XENIA\r\n".
  char first[8];
  size_t got = 0;
  while (got < sizeof(first)) {
    absl::StatusOr<size_t> r = replay_.Read(first + got, sizeof(first) - got);
    if (!r.ok()) return r.status();
    if (*r == 0) break;
    got += *r;
  }
  replay_.pending.assign(first, got);
  if (got == sizeof(first) && absl::StartsWith(kXlSaveMagic, absl::string_view(first, got))) {
    head_.format = ImageFormat::kXl;
    absl::StatusOr<XlImageHeader> header = ReadXlImageHeader(replay_, name_);
    if (!header.ok()) return header.status();
    xl_header_ = *std::move(header);
    absl::StatusOr<XlDomainIdentity> identity = ReadXlDomainIdentity(xl_header_.config_json, name_);
    if (!identity.ok()) return identity.status();
    head_.header.set_purpose(xenia::v1::StreamHeader::SAVE);
    head_.header.set_domain_name(identity->name);
    head_.header.set_domain_uuid(identity->uuid);
    head_.header.set_backend("libxl");
    head_.xl_config_json = xl_header_.config_json;
    return absl::OkStatus();
  }
  head_.format = ImageFormat::kXenia;
  stream_.emplace(replay_, name_);
  absl::StatusOr<xenia::v1::StreamHeader> header = stream_->ReadHeader();
  if (!header.ok()) return header.status();
  head_.header = *std::move(header);
  return absl::OkStatus();
}

}  // namespace xenia::stream
