// Parsing only: which command and options a command line selects. Nothing
// here dials xeniad.

#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "gtest/gtest.h"

namespace xenia::cli {
namespace {

class CommandLineTest : public ::testing::Test {
 protected:
  // Parses `args` (without the program name); the exit code if the run ended.
  std::optional<int> Parse(std::vector<std::string> args) {
    args.insert(args.begin(), "xenia");
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    return command_line_.Parse(static_cast<int>(argv.size()), argv.data(), out_, err_);
  }

  const CommandOptions& options() const { return command_line_.options(); }

  CommandLine command_line_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CommandLineTest, GlobalFlagsBeforeTheVerb) {
  EXPECT_EQ(Parse({"--socket", "/tmp/x.sock", "-o", "json", "list", "--state", "running"}),
            std::nullopt)
      << err_.str();
  EXPECT_EQ(command_line_.command(), "list");
  EXPECT_EQ(options().global.socket, "/tmp/x.sock");
  EXPECT_EQ(options().global.output, "json");
  EXPECT_EQ(options().list.state, "running");
}

TEST_F(CommandLineTest, GlobalFlagsAfterTheVerb) {
  EXPECT_EQ(Parse({"ops", "list", "--domain", "web1", "--output", "yaml", "--socket", "/s"}),
            std::nullopt)
      << err_.str();
  EXPECT_EQ(command_line_.command(), "ops list");
  EXPECT_EQ(options().global.output, "yaml");
  EXPECT_EQ(options().global.socket, "/s");
  EXPECT_EQ(options().ops.domain, "web1");
}

TEST_F(CommandLineTest, DefaultSocketAndEnvironment) {
  unsetenv("XENIA_SOCKET");
  EXPECT_EQ(Parse({"host"}), std::nullopt);
  EXPECT_EQ(options().global.socket, "/run/xenia/xeniad.sock");
  EXPECT_EQ(options().global.output, "table");
}

TEST(CommandLineEnvTest, SocketFromEnvironment) {
  setenv("XENIA_SOCKET", "/env/xeniad.sock", 1);
  CommandLine command_line;
  std::ostringstream out, err;
  const char* argv[] = {"xenia", "host"};
  EXPECT_EQ(command_line.Parse(2, argv, out, err), std::nullopt);
  EXPECT_EQ(command_line.options().global.socket, "/env/xeniad.sock");
  unsetenv("XENIA_SOCKET");
}

TEST_F(CommandLineTest, ShutdownFlags) {
  EXPECT_EQ(Parse({"shutdown", "web1", "--timeout", "1m30s", "--force", "--wait", "--request-id",
                   "r-1", "--wait-timeout", "5m"}),
            std::nullopt)
      << err_.str();
  EXPECT_EQ(command_line_.command(), "shutdown");
  const DomainVerbOptions& d = options().domain;
  EXPECT_EQ(d.name, "web1");
  EXPECT_EQ(d.timeout, "1m30s");
  EXPECT_TRUE(d.force);
  EXPECT_TRUE(d.mutation.wait);
  EXPECT_EQ(d.mutation.request_id, "r-1");
  EXPECT_EQ(d.mutation.wait_timeout, "5m");
}

TEST_F(CommandLineTest, EveryDomainVerb) {
  for (const char* verb :
       {"start", "shutdown", "reboot", "destroy", "pause", "unpause", "delete", "info"}) {
    CommandLine command_line;
    std::ostringstream out, err;
    const char* argv[] = {"xenia", verb, "web1"};
    EXPECT_EQ(command_line.Parse(3, argv, out, err), std::nullopt) << verb << err.str();
    EXPECT_EQ(command_line.command(), verb);
  }
}

TEST_F(CommandLineTest, StartPaused) {
  EXPECT_EQ(Parse({"start", "--paused", "web1"}), std::nullopt);
  EXPECT_TRUE(options().domain.paused);
}

TEST_F(CommandLineTest, CreateFromFlags) {
  EXPECT_EQ(Parse({"create", "--name",   "web1",  "--memory",    "512M", "--max-memory",
                   "1G",     "--vcpus",  "2",     "--max-vcpus", "4",    "--type",
                   "hvm",    "--kernel", "/k",    "--ramdisk",   "/r",   "--cmdline",
                   "quiet",  "--start",  "--wait"}),
            std::nullopt)
      << err_.str();
  EXPECT_EQ(command_line_.command(), "create");
  const CreateOptions& c = options().create;
  EXPECT_EQ(c.file, "");
  EXPECT_EQ(c.flags.name, "web1");
  EXPECT_EQ(c.flags.memory, "512M");
  EXPECT_EQ(c.flags.max_memory, "1G");
  EXPECT_EQ(c.flags.vcpus, 2);
  EXPECT_EQ(c.flags.max_vcpus, 4);
  EXPECT_EQ(c.flags.type, "hvm");
  EXPECT_EQ(c.flags.cmdline, "quiet");
  EXPECT_TRUE(c.start);
  EXPECT_TRUE(c.mutation.wait);
}

TEST_F(CommandLineTest, CreateFromFile) {
  EXPECT_EQ(Parse({"create", "vm.yaml", "--start"}), std::nullopt) << err_.str();
  EXPECT_EQ(options().create.file, "vm.yaml");
  EXPECT_FALSE(options().create.flags.vcpus.has_value());
}

TEST_F(CommandLineTest, OpsCommands) {
  EXPECT_EQ(Parse({"ops", "wait", "abc", "--timeout", "10s"}), std::nullopt) << err_.str();
  EXPECT_EQ(command_line_.command(), "ops wait");
  EXPECT_EQ(options().ops.id, "abc");
  EXPECT_EQ(options().ops.timeout, "10s");
}

TEST_F(CommandLineTest, OpsWaitDefaultTimeout) {
  EXPECT_EQ(Parse({"ops", "wait", "abc"}), std::nullopt);
  EXPECT_EQ(options().ops.timeout, "60s");
}

TEST_F(CommandLineTest, SimBehave) {
  EXPECT_EQ(Parse({"sim", "behave", "web1", "--ignore-shutdown", "--crash-after", "5s"}),
            std::nullopt)
      << err_.str();
  EXPECT_EQ(command_line_.command(), "sim behave");
  EXPECT_TRUE(options().sim.ignore_shutdown);
  EXPECT_EQ(options().sim.crash_after, "5s");
}

TEST_F(CommandLineTest, SimBehaveExplicitFalse) {
  EXPECT_EQ(Parse({"sim", "behave", "web1", "--ignore-shutdown=false"}), std::nullopt);
  EXPECT_FALSE(options().sim.ignore_shutdown);
}

TEST_F(CommandLineTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Parse({}), 2);
  EXPECT_EQ(Parse({"-o", "xml", "list"}), 2);
  EXPECT_NE(err_.str().find("xenia: "), std::string::npos) << err_.str();
}

TEST_F(CommandLineTest, UnknownCommand) {
  EXPECT_EQ(Parse({"frobnicate"}), 2);
  EXPECT_EQ(err_.str(),
            "xenia: unknown command \"frobnicate\"\nRun 'xenia --help' for more information.\n");
}

TEST_F(CommandLineTest, MissingName) {
  EXPECT_EQ(Parse({"start"}), 2);
  EXPECT_NE(err_.str().find("NAME is required"), std::string::npos) << err_.str();
}

TEST_F(CommandLineTest, UnknownFlag) { EXPECT_EQ(Parse({"list", "--bogus"}), 2); }

TEST_F(CommandLineTest, OpsNeedsASubcommand) { EXPECT_EQ(Parse({"ops"}), 2); }

TEST_F(CommandLineTest, HelpListsVerbsAndExitCodes) {
  EXPECT_EQ(Parse({"--help"}), 0);
  const std::string help = out_.str();
  for (const char* word :
       {"list", "info", "create", "start", "shutdown", "reboot", "destroy", "pause", "unpause",
        "delete", "host", "ops", "sim", "version", "--socket", "XENIA_SOCKET", "--output",
        "Exit codes:", "130  interrupted"}) {
    EXPECT_NE(help.find(word), std::string::npos) << word;
  }
}

TEST_F(CommandLineTest, SubcommandHelp) {
  EXPECT_EQ(Parse({"shutdown", "--help"}), 0);
  EXPECT_NE(out_.str().find("--force"), std::string::npos) << out_.str();
}

TEST_F(CommandLineTest, VersionFlag) {
  EXPECT_EQ(Parse({"--version"}), 0);
  EXPECT_EQ(out_.str().rfind("xenia ", 0), 0u) << out_.str();
}

}  // namespace
}  // namespace xenia::cli
