// CommandsTest: runs whole xenia command lines in this process against a
// FakeXeniad, capturing stdout, stderr and the exit code.
//
// Thread-compatible: one test thread.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "gtest/gtest.h"
#include "tests/unit/cli/fake_xeniad.h"

namespace xenia::cli::testing {

struct Result {
  int rc;
  std::string out;
  std::string err;
};

class CommandsTest : public ::testing::Test {
 protected:
  // Runs `xenia --socket <fake> args...` in this process; `binary` gives
  // `save NAME -` and `restore -` their stdout and stdin descriptors.
  Result Run(std::vector<std::string> args, const std::string& stdin_text = "", bool tty = false,
             const BinaryStdio& binary = BinaryStdio()) {
    args.insert(args.begin(), {"xenia", "--socket", fake_.socket_path()});
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    std::ostringstream out, err;
    std::istringstream in(stdin_text);
    const int rc = RunXenia(static_cast<int>(argv.size()), argv.data(), out, err, in, tty, binary);
    return {rc, out.str(), err.str()};
  }

  std::vector<std::string> Calls() {
    return fake_.With([](FakeState& s) { return s.calls; });
  }

  void SetSteps(std::vector<xenia::v1::Operation> steps) {
    fake_.With([&](FakeState& s) { s.steps = std::move(steps); });
  }

  FakeXeniad fake_;
};

// A FAILED operation whose error has `code` and `message`.
inline xenia::v1::Operation Failed(int code, const std::string& message) {
  xenia::v1::Operation op = MakeOperation(xenia::v1::Operation::FAILED, 30);
  op.mutable_error()->set_code(code);
  op.mutable_error()->set_message(message);
  return op;
}

}  // namespace xenia::cli::testing
