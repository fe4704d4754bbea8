#include "cli/output/render_save_image.h"

#include "cli/output/cells.h"
#include "cli/output/table.h"

namespace xenia::cli {

std::string RenderSaveImage(const xenia::v1::SaveImage& image) {
  return RenderKeyValues({
      {"image", OrDash(image.name())},
      {"path", OrDash(image.path())},
      {"size", FormatBytes(image.size_bytes())},
      {"digest", OrDash(image.digest())},
  });
}

}  // namespace xenia::cli
