// xl's save image header (daemon/stream/xl_image.h) and telling it from a
// Xenia domain stream (daemon/stream/image_reader.h): the bytes xl writes,
// and every way a header can be short or wrong.
#include "daemon/stream/xl_image.h"

#include <string>

#include "absl/status/status.h"
#include "daemon/stream/image_reader.h"
#include "daemon/stream/little_endian.h"
#include "daemon/stream/stream_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/stream/string_bytes.h"

namespace xenia::stream {
namespace {

using ::testing::HasSubstr;
using testing::StringSource;

constexpr char kConfig[] =
    R"({"c_info": {"type": "pv", "name": "web1", "uuid": "0f8fad5b-d9cb-469f-a165-70867728950e"},)"
    R"( "b_info": {"max_memkb": 131072, "target_memkb": 131072}})";

TEST(XlImageTest, HeaderHasXlsLayout) {
  const std::string bytes = EncodeXlImageHeader(kConfig);
  // tools/xl: 32-byte magic, byte order, mandatory flags, optional flags,
  // optional data length; then the config's length, the config, a NUL.
  ASSERT_EQ(bytes.size(), 48 + 4 + sizeof(kConfig));
  EXPECT_EQ(bytes.substr(0, 32), std::string("Xen saved domain, xl format\n \0 \r", 32));
  EXPECT_EQ(GetU32(bytes.data() + 32), 0x01020304u);
  EXPECT_EQ(GetU32(bytes.data() + 36), kXlFlagJson | kXlFlagStreamV2);
  EXPECT_EQ(GetU32(bytes.data() + 40), 0u);
  EXPECT_EQ(GetU32(bytes.data() + 44), 4 + sizeof(kConfig));
  EXPECT_EQ(GetU32(bytes.data() + 48), sizeof(kConfig));
  EXPECT_EQ(bytes.back(), '\0');
}

TEST(XlImageTest, RoundTripLeavesTheSourceAtLibxlsStream) {
  const std::string image = EncodeXlImageHeader(kConfig) + "LIBXL STREAM";
  for (size_t chunk : {1, 7, 4096}) {
    StringSource source(image, chunk);
    absl::StatusOr<XlImageHeader> header = ReadXlImageHeader(source, "image a.save");
    ASSERT_TRUE(header.ok()) << header.status();
    EXPECT_EQ(header->config_json, kConfig);
    EXPECT_EQ(header->size, static_cast<int64_t>(image.size() - 12));
    char rest[32];
    absl::StatusOr<size_t> n = source.Read(rest, sizeof(rest));
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(std::string(rest, *n).substr(0, 1), "L");
  }
}

TEST(XlImageTest, EveryCutOfTheHeaderIsTruncatedOrForeign) {
  const std::string image = EncodeXlImageHeader(kConfig);
  for (size_t cut = 0; cut < image.size(); ++cut) {
    StringSource source(image.substr(0, cut), 4096);
    absl::StatusOr<XlImageHeader> header = ReadXlImageHeader(source, "image a.save");
    ASSERT_FALSE(header.ok()) << "cut at " << cut;
    if (cut == 0) {
      EXPECT_EQ(header.status().code(), absl::StatusCode::kInvalidArgument);
    } else {
      EXPECT_EQ(header.status().code(), absl::StatusCode::kDataLoss) << cut;
      EXPECT_THAT(std::string(header.status().message()), HasSubstr("truncated")) << cut;
    }
  }
}

absl::Status ReadWith(std::string image, size_t at, uint32_t value) {
  PutU32(image.data() + at, value);
  StringSource source(image, 4096);
  return ReadXlImageHeader(source, "image a.save").status();
}

TEST(XlImageTest, WrongFieldsAreNamed) {
  const std::string image = EncodeXlImageHeader(kConfig);
  absl::Status s = ReadWith(image, 32, 0x04030201u);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("byte order"));

  s = ReadWith(image, 36, kXlFlagJson | kXlFlagStreamV2 | 4u);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("newer xl"));

  s = ReadWith(image, 36, kXlFlagJson);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("convert-legacy-stream"));

  s = ReadWith(image, 36, kXlFlagStreamV2);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("xl.cfg text"));

  s = ReadWith(image, 44, 1u << 30);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()), HasSubstr("optional data"));

  s = ReadWith(image, 48, 1u << 20);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()), HasSubstr("configuration is said to be"));

  // No configuration at all (xl can write such an image).
  std::string bare = image.substr(0, 48);
  PutU32(bare.data() + 44, 0);
  StringSource source(bare, 4096);
  s = ReadXlImageHeader(source, "image a.save").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("no domain configuration"));
}

TEST(XlImageTest, IdentityComesFromTheConfig) {
  absl::StatusOr<XlDomainIdentity> id = ReadXlDomainIdentity(kConfig, "image a.save");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->name, "web1");
  EXPECT_EQ(id->uuid, "0f8fad5b-d9cb-469f-a165-70867728950e");
  EXPECT_EQ(ReadXlDomainIdentity("{not json", "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadXlDomainIdentity(R"({"c_info": {"name": "a"}})", "x").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ImageReaderTest, TellsTheFormatsApart) {
  const std::string xl = EncodeXlImageHeader(kConfig) + "rest";
  StringSource xl_source(xl, 3);
  ImageReader xl_reader(xl_source, "image a.save");
  ASSERT_TRUE(xl_reader.ReadHead().ok());
  EXPECT_EQ(xl_reader.format(), ImageFormat::kXl);
  EXPECT_EQ(xl_reader.head().header.domain_name(), "web1");
  EXPECT_EQ(xl_reader.head().xl_config_json, kConfig);
  std::string rest;
  char buffer[8];
  for (absl::StatusOr<size_t> n = xl_reader.rest().Read(buffer, sizeof(buffer)); n.ok() && *n > 0;
       n = xl_reader.rest().Read(buffer, sizeof(buffer))) {
    rest.append(buffer, *n);
  }
  EXPECT_EQ(rest, "rest");

  testing::StringSink sink;
  {
    StreamWriter writer(sink);
    xenia::v1::StreamHeader header;
    header.set_purpose(xenia::v1::StreamHeader::SAVE);
    header.set_domain_name("db1");
    header.set_domain_uuid("1f8fad5b-d9cb-469f-a165-70867728950e");
    header.set_page_size(4096);
    ASSERT_TRUE(writer.WriteHeader(header).ok());
    ASSERT_TRUE(sink.Flush().ok());
  }
  StringSource xenia_source(sink.bytes, 5);
  ImageReader xenia_reader(xenia_source, "image b.xsave");
  ASSERT_TRUE(xenia_reader.ReadHead().ok());
  EXPECT_EQ(xenia_reader.format(), ImageFormat::kXenia);
  EXPECT_EQ(xenia_reader.head().header.domain_name(), "db1");

  StringSource text("hello, this is a text file", 4096);
  ImageReader text_reader(text, "image notes.txt");
  absl::Status s = text_reader.ReadHead();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("not a Xenia domain stream"));
}

}  // namespace
}  // namespace xenia::stream
