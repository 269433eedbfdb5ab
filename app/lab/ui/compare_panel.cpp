// Placeholder: being written.
#include "panels.h"

namespace convt::lab::ui {

void draw_compare_panel(PanelContext&) { ImGui::TextDisabled("(being written)"); }

}  // namespace convt::lab::ui
