// ReadPeerToken: the fleet's migration secret is read only from a file its
// owner alone can read, and must be long enough to guess at no better than
// chance.
#include "daemon/peer_token.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace xenia {
namespace {

class PeerTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "xenia-token-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/token";
  }
  void TearDown() override {
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  void Write(const std::string& text, mode_t mode) {
    std::ofstream(path_) << text;
    ASSERT_EQ(chmod(path_.c_str(), mode), 0);
  }

  std::string dir_;
  std::string path_;
};

TEST_F(PeerTokenTest, ReadsTheFirstLineOfAPrivateFile) {
  Write("  s3cret-token-of-the-fleet-0123 \nignored\n", 0600);
  absl::StatusOr<std::string> token = ReadPeerToken(path_);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*token, "s3cret-token-of-the-fleet-0123");
}

TEST_F(PeerTokenTest, RefusesAFileOthersCanRead) {
  Write("s3cret-token-of-the-fleet-0123\n", 0644);
  absl::StatusOr<std::string> token = ReadPeerToken(path_);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(token.status().message().find("chmod 600"), std::string::npos) << token.status();
  EXPECT_NE(token.status().message().find(path_), std::string::npos) << token.status();
}

TEST_F(PeerTokenTest, RefusesShortOrMissingTokens) {
  Write("short\n", 0600);
  EXPECT_NE(ReadPeerToken(path_).status().message().find("at least 16"), std::string::npos);
  Write("", 0600);
  EXPECT_NE(ReadPeerToken(path_).status().message().find("empty"), std::string::npos);
  EXPECT_EQ(ReadPeerToken(dir_ + "/none").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace xenia
