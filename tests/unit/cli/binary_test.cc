// Runs the built xenia binary: the "cannot reach xeniad" path end to end.

#include <stdio.h>
#include <sys/wait.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace {

struct Outcome {
  int exit_code;
  std::string output;  // stdout and stderr together
};

Outcome RunShell(const std::string& command) {
  Outcome o{-1, ""};
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return o;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) o.output.append(buf, n);
  const int status = pclose(pipe);
  if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
  return o;
}

std::string Binary() { return absl::StrCat("'", XENIA_CLI_BINARY, "'"); }

TEST(XeniaBinaryTest, MissingSocketExitsFive) {
  const Outcome o = RunShell(Binary() + " --socket /nonexistent/xenia-test.sock list");
  EXPECT_EQ(o.exit_code, 5) << o.output;
  EXPECT_EQ(o.output.rfind("xenia: cannot reach xeniad at unix:/nonexistent/xenia-test.sock: ", 0),
            0u)
      << o.output;
  EXPECT_NE(o.output.find("(is xeniad running? use --socket or XENIA_SOCKET)"), std::string::npos)
      << o.output;
}

TEST(XeniaBinaryTest, SocketFromTheEnvironment) {
  const Outcome o = RunShell("XENIA_SOCKET=/nonexistent/env.sock " + Binary() + " host");
  EXPECT_EQ(o.exit_code, 5) << o.output;
  EXPECT_NE(o.output.find("cannot reach xeniad at unix:/nonexistent/env.sock"), std::string::npos)
      << o.output;
}

TEST(XeniaBinaryTest, UsageErrorExitsTwo) {
  const Outcome o = RunShell(Binary() + " --output xml list");
  EXPECT_EQ(o.exit_code, 2) << o.output;
}

TEST(XeniaBinaryTest, HelpDocumentsExitCodes) {
  const Outcome o = RunShell(Binary() + " --help");
  EXPECT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("Exit codes:"), std::string::npos) << o.output;
}

}  // namespace
