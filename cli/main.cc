// xenia: the command-line client of xeniad. See cli/app.h.

#include <signal.h>
#include <unistd.h>

#include <exception>
#include <iostream>

#include "cli/app.h"
#include "cli/exit_codes.h"

namespace {

// Ctrl-C: the operation, if any, carries on in xeniad; only the client stops.
void OnInterrupt(int /*signal*/) {
  static const char kMessage[] = "\nxenia: interrupted\n";
  (void)!write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
  _exit(xenia::cli::kExitInterrupted);
}

}  // namespace

int main(int argc, char** argv) {
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  xenia::cli::BinaryStdio binary;
  binary.in_fd = STDIN_FILENO;
  binary.out_fd = STDOUT_FILENO;
  binary.in_is_tty = isatty(STDIN_FILENO) == 1;
  binary.out_is_tty = isatty(STDOUT_FILENO) == 1;
  try {
    return xenia::cli::RunXenia(argc, argv, std::cout, std::cerr, std::cin,
                                isatty(STDERR_FILENO) == 1, binary);
  } catch (const std::exception& e) {
    std::cerr << "xenia: internal error: " << e.what() << "\n";
    return xenia::cli::kExitInternal;
  }
}
