// Fuzz target fuzz_xl_config: bytes as an xl.cfg file, read as `xenia
// create vm.cfg` reads one (libxlutil, then our mapping to a DomainSpec), and
// as the single device spec strings of block-attach, network-attach and
// pci-attach.
//
// What must hold, beyond not crashing, leaking or tripping a sanitizer: an
// imported spec that validates and exports must import again to an equal
// spec (xl_cfg.h promises it; `xenia config` relies on it). A violation
// aborts, so that libFuzzer keeps the input as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/domain/spec_validation.h"
#include "daemon/hypervisor/libxl/xl_cfg.h"
#include "google/protobuf/util/message_differencer.h"

namespace {

using xenia::v1::DomainSpec;

[[noreturn]] void Finding(const char* what, absl::string_view input, absl::string_view exported,
                          absl::string_view detail) {
  std::fprintf(stderr,
               "fuzz_xl_config: %s\n--- input ---\n%.*s\n--- export ---\n%.*s\n--- detail ---\n"
               "%.*s\n",
               what, static_cast<int>(input.size()), input.data(),
               static_cast<int>(exported.size()), exported.data(), static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

void CheckRoundTrip(absl::string_view input, const DomainSpec& imported) {
  DomainSpec validated = imported;
  const bool valid = xenia::ValidateAndDefaultSpec(&validated).ok();
  // Export refuses strings with control characters it cannot write
  // (XlExpressible); that is a documented refusal, not a finding.
  absl::StatusOr<std::string> exported = xenia::hv::ExportXlConfig(imported);
  if (!exported.ok()) return;
  absl::StatusOr<xenia::hv::XlImport> again =
      xenia::hv::ImportXlConfig(*exported, "fuzz.cfg (exported)");
  if (!valid) return;
  if (!again.ok()) {
    Finding("a valid imported spec's export does not import", input, *exported,
            again.status().ToString());
  }
  std::string diff;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  if (!differ.Compare(imported, again->spec)) {
    Finding("importing the export gives a different spec", input, *exported, diff);
  }
}

// Two known libxlutil bugs (Xen 4.17) end or corrupt the process that
// parses certain specs; our readers (ParseXlDisk, ParseXlPci in
// xl_cfg_syntax.cc) refuse those inputs before libxlutil sees them, and this
// target feeds them on purpose so that a gap in those guards shows as a
// crash:
//
// 1. tools/libs/util/libxlu_disk_l.l: after a character its disk spec lexer
//    cannot place (a '=' that starts an item) it switches to a state whose
//    only rule is `.*`, which a newline does not match, so flex's "flex
//    scanner jammed" fatal error calls exit(2): the disk spec ",=\n" (or
//    `disk = [ ",=\n" ]`) ends the process that parses it.
// 2. tools/libs/util/libxlu_pci.c, parse_bdf(): `sscanf(ptr,
//    "%x:%x:%x.%n", ..., &n)` returns 3 without reaching %n when no '.'
//    follows the device number ("0000:03:00", "03:00,seize=1"), and then
//    `ptr += n` adds an uninitialised int: a wild read (SEGV, or garbage
//    accepted).

}  // namespace

// Known libxlutil bug (Xen 4.17, tools/libs/util/libxlu_cfg.c): once the
// parser has reported an error (ctx->err is set by xlu__cfg_yyerror, e.g.
// for a stray control byte), it recovers at the next line and reads on, but
// xlu__cfg_list_append returns early without freeing the item it was given,
// so every later list item after the first leaks (its value from
// xlu__cfg_string_mk or xlu__cfg_list_mk, its text from xlu__cfgl_dequote or
// xlu__cfgl_strdup). Such files are refused; that input class's leaks are
// not reported here. A leak of a whole XLU_Config (one our code did not
// destroy) is still reported: xlu_cfg_init allocates it.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:xlu__cfg_string_mk\n"
         "leak:xlu__cfg_list_mk\n"
         "leak:xlu__cfgl_dequote\n"
         "leak:xlu__cfgl_strdup\n";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<xenia::hv::XlImport> imported = xenia::hv::ImportXlConfig(text, "fuzz.cfg");
  if (imported.ok()) CheckRoundTrip(text, imported->spec);

  // The whole input as one device spec string, then validated as a request
  // carrying that device would be.
  if (absl::StatusOr<xenia::v1::Disk> disk = xenia::hv::ImportXlDisk(text); disk.ok()) {
    (void)xenia::ValidateDisk(*disk, "disk");
  }
  if (absl::StatusOr<xenia::v1::NetworkInterface> nic = xenia::hv::ImportXlVif(text); nic.ok()) {
    (void)xenia::ValidateNetworkInterface(*nic, "network_interface");
  }
  if (absl::StatusOr<xenia::v1::PciDevice> pci = xenia::hv::ImportXlPci(text); pci.ok()) {
    (void)xenia::ValidatePciDevice(*pci, "pci_device");
  }
  return 0;
}
