#include "daemon/backend_choice.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace xenia {

BackendChoice ChooseBackend(const std::string& requested, const std::string& capabilities_path) {
  if (requested == "sim") return {"sim", "chosen by configuration (backend: sim)"};
  if (requested == "libxl") return {"libxl", "chosen by configuration (backend: libxl)"};
  std::ifstream in(capabilities_path);
  if (!in) {
    return {"sim",
            absl::StrCat("auto: ", capabilities_path, " is absent, so this is not a Xen host")};
  }
  std::stringstream text;
  text << in.rdbuf();
  if (absl::StrContains(text.str(), "control_d")) {
    return {"libxl", absl::StrCat("auto: ", capabilities_path, " says control_d (a Xen dom0)")};
  }
  return {"sim",
          absl::StrCat("auto: ", capabilities_path, " lacks control_d (a Xen guest, not dom0)")};
}

}  // namespace xenia
