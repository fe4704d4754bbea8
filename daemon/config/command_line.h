// xeniad's command line: --config FILE plus flags that override the file.
//
// Thread-safe: a pure function of argv and the file it names.
#pragma once

#include <string>

#include "daemon/config/daemon_config.h"

namespace xenia {

struct CommandLine {
  DaemonConfig config;
  // --help, --version or an error: print `message` and exit with `exit_code`.
  bool exit_now = false;
  int exit_code = 0;
  std::string message;
  // The config file that was read, if any.
  std::string config_file;
};

CommandLine ParseCommandLine(int argc, char** argv);

}  // namespace xenia
