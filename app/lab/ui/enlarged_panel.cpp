// Placeholder: being written.
#include "panels.h"

namespace convt::lab::ui {

void draw_enlarged_panel(PanelContext&) { ImGui::TextDisabled("(being written)"); }

}  // namespace convt::lab::ui
