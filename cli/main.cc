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
  try {
    return xenia::cli::RunXenia(argc, argv, std::cout, std::cerr, std::cin,
                                isatty(STDERR_FILENO) == 1);
  } catch (const std::exception& e) {
    std::cerr << "xenia: internal error: " << e.what() << "\n";
    return xenia::cli::kExitInternal;
  }
}
