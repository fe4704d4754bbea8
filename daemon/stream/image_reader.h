// ImageReader: opens a save image or a migration stream in either format
// xeniad reads, told apart by their first bytes: a Xenia domain stream
// (docs/design/domain-stream-format.md; what the simulated hypervisor
// writes) or xl's save image (xl_image.h; what the libxl backend and xl
// write). Each backend restores the one format it writes.
//
// Thread-safety: one thread at a time.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "daemon/stream/byte_stream.h"
#include "daemon/stream/stream_reader.h"
#include "daemon/stream/xl_image.h"
#include "xenia/v1/domain_stream.pb.h"

namespace xenia::stream {

enum class ImageFormat { kXenia, kXl };

// "a Xenia domain stream", "an xl save image".
absl::string_view ImageFormatName(ImageFormat format);

// What an image's head says, in either format. A Xenia stream's header is
// its HEADER record. An xl image's holds what its configuration says without
// libxl: purpose SAVE, the domain's name and uuid, backend "libxl"; its spec
// is the libxl backend's to read (Hypervisor::SpecOfXlImage).
struct ImageHead {
  ImageFormat format = ImageFormat::kXenia;
  xenia::v1::StreamHeader header;
  // kXl: the domain's libxl configuration (JSON).
  std::string xl_config_json;
};

class ImageReader {
 public:
  // `name` says what the image is in errors ("image \"web1.xsave\"").
  ImageReader(ByteSource& source, std::string name);
  ImageReader(const ImageReader&) = delete;
  ImageReader& operator=(const ImageReader&) = delete;

  // Reads the head: a Xenia stream's preamble and HEADER record, or xl's
  // header and the configuration after it. Errors as StreamReader's and
  // ReadXlImageHeader's; the source's own as they are.
  absl::Status ReadHead();

  // After ReadHead.
  const ImageHead& head() const { return head_; }
  ImageFormat format() const { return head_.format; }
  const std::string& name() const { return name_; }
  // kXenia: the reader, positioned after the HEADER record.
  StreamReader& stream() { return *stream_; }
  // kXl: xl's header, and the bytes after it (libxl's stream).
  const XlImageHeader& xl_header() const { return xl_header_; }
  ByteSource& rest() { return replay_; }

 private:
  // Gives back the bytes read to tell the formats apart, then the source.
  class ReplaySource final : public ByteSource {
   public:
    explicit ReplaySource(ByteSource& source) : source_(source) {}
    absl::StatusOr<size_t> Read(char* buffer, size_t max) override;
    std::string pending;

   private:
    ByteSource& source_;
  };

  ReplaySource replay_;
  const std::string name_;
  ImageHead head_;
  std::optional<StreamReader> stream_;
  XlImageHeader xl_header_;
};

}  // namespace xenia::stream
