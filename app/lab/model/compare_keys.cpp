#include "compare_keys.h"

namespace convt::lab {
namespace {

SettingTable<LabState> make_table() {
  Setting<LabState> enabled = bool_setting<LabState>(kCompareEnabledKey, [](auto& s) -> auto& { return s.compare.enabled; },
                                                     "Compare A/B",
                                                     "shows a second configuration B of the shown layer next to it on "
                                                     "the same input: both outputs, their difference, both coverage "
                                                     "maps, verdicts and formulas");
  SettingTable<LabState> table = {enabled};
  for (Setting<LabState> setting :
       lift_settings<LabState>(layer_settings(), [](auto& s) -> auto& { return s.compare.layer; })) {
    setting.info.key = "compare." + setting.info.json_name();  // layer.kernel -> compare.kernel
    setting.info.panel = "Compare A/B";
    setting.info.help = "B's " + setting.info.json_name() + " (as layer." + setting.info.json_name() + ")";
    table.push_back(std::move(setting));
  }
  return table;
}

}  // namespace

const SettingTable<LabState>& compare_settings() {
  static const SettingTable<LabState> table = make_table();
  return table;
}

std::vector<std::string> compare_setting_keys() { return setting_help_lines(compare_settings()); }

void enable_compare(LabState& state) {
  if (state.compare.enabled) return;
  state.compare.layer = state.layer();
  state.compare.enabled = true;
}

}  // namespace convt::lab
