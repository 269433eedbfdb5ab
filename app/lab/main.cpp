// convt-lab: window, frame loop, shutdown. Everything else lives in LabApp (UI), LabModel (state and results)
// and the engine. The loop idles when minimised or when nothing moves.
#include "gfx/gl.h"  // before GLFW: one GL header
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>

#include "gfx/screenshot.h"
#include "lab_app.h"
#include "model/compare_keys.h"
#include "model/lessons.h"
#include "model/model_keys.h"
#include "model/presets.h"
#include "model/state_keys.h"
#include "model/train_keys.h"
#include "model/workspace_state.h"

#include <convt/error.h>
#include <convt/tensor.h>

#include <CLI/CLI.hpp>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <algorithm>
#include <cctype>
#include <cfloat>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string screenshot;
  std::string preset;
  std::string workspace;
  std::vector<std::string> settings;
  std::string save_workspace;
  std::string model;
  int lesson = -1;
  bool settings_markdown = false;
  bool train_settings_markdown = false;
  bool model_settings_markdown = false;
  int frames = 3;
  int width = 1600, height = 1000;
};

// Dropped files: a .onnx opens in the Model panel; while a model's node is shown, any other file feeds the
// model's (first) input; otherwise an image becomes the input, a .npy or .safetensors the weight.
convt::lab::LabModel* g_model = nullptr;
convt::lab::UiState* g_ui = nullptr;

void on_drop(GLFWwindow*, int count, const char** paths) {
  if (!g_model || count < 1) return;
  const std::string path = paths[0];
  std::string extension = std::filesystem::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
  if (extension == ".onnx") {
    g_model->open_model(path);
    g_ui->model.reset();
  } else if (g_model->shows_model_node()) {
    convt::lab::ModelSettings& model = g_model->state().model;
    const convt::lab::ModelSnapshot* snapshot = g_model->model_snapshot();
    const size_t inputs = snapshot && snapshot->model ? snapshot->model->inputs.size() : 1;
    model.input = convt::lab::with_model_input_file(model.input, 0, inputs, path);
  } else if (extension == ".npy" || extension == ".safetensors") {
    g_model->state().layer().weight.from_file = true;
    g_model->state().layer().weight.path = path;
    g_model->state().layer().weight.tensor_name.clear();
    g_ui->layer.weight_path_text = path;
  } else {
    g_model->state().input.kind = convt::lab::InputKind::Image;
    g_model->state().input.image_path = path;
    g_ui->image_path_text = path;
  }
}

// Ctrl+C or a kill from the terminal ends the loop like closing the window, so shutdown stays orderly.
volatile std::sig_atomic_t g_stop_requested = 0;
void on_stop_signal(int) { g_stop_requested = 1; }

void on_glfw_error(int code, const char* description) { std::fprintf(stderr, "glfw error %d: %s\n", code, description); }

void load_font() {
  // DejaVu Sans (fonts-dejavu-core) reads better than ImGui's pixel font; fall back to that when it is absent.
  const char* path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  ImGuiIO& io = ImGui::GetIO();
  if (std::filesystem::exists(path)) io.Fonts->AddFontFromFileTTF(path, 15.0f);
  else io.Fonts->AddFontDefault();
}

int fail(const std::string& message, int code) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App cli{"convt-lab: see, teach and debug transposed convolution"};
  cli.add_option("--screenshot", options.screenshot, "Draw frames until the result and every view are ready, then --frames more, write the window to this PNG, and exit");
  std::string preset_help = "Start from a preset:";
  for (const auto& preset : convt::lab::presets()) preset_help += " " + preset.name;
  cli.add_option("--preset", options.preset, preset_help);
  cli.add_option("--workspace", options.workspace, "Open a saved workspace (JSON); --set values apply on top");
  cli.add_option("--model", options.model,
                 "Open an ONNX model in the Model panel (model.path=FILE) and show its first ConvTranspose node, "
                 "unless --set model.node=NAME names one");
  std::string lesson_help = "Start with a guided lesson (0: the introduction and the list):";
  for (const convt::lab::Lesson& lesson : convt::lab::lessons())
    lesson_help += "\n    " + std::to_string(lesson.number) + "  " + lesson.question;
  cli.add_option("--lesson", options.lesson, lesson_help);
  std::string keys_help = "Set a value, key=value (repeatable); a short key (stride=2) means layer., input., view. or "
                          "stack. in that order. Keys:";
  for (const std::string& key : convt::lab::setting_keys()) keys_help += "\n    " + key;
  keys_help += "\n  The Train lab's keys, written in full (train.enabled=true shows it):";
  for (const std::string& key : convt::lab::train_setting_keys()) keys_help += "\n    " + key;
  keys_help += "\n  The Model panel's keys, written in full (--model FILE is model.path=FILE):";
  for (const std::string& key : convt::lab::model_setting_keys()) keys_help += "\n    " + key;
  keys_help += "\n  Compare A/B's keys: compare.enabled, and every layer.* key as compare.* for B (any compare.* key "
               "turns B on, starting from a copy of the shown layer):";
  keys_help += "\n    " + convt::lab::compare_setting_keys().front();
  cli.add_option("--set", options.settings, keys_help);
  cli.add_option("--save-workspace", options.save_workspace,
                 "Write the workspace of the state that --preset, --workspace and --set give to this file, and exit "
                 "without opening a window");
  cli.add_flag("--settings-markdown", options.settings_markdown,
               "Print the settings as the README's Markdown table, and exit");
  cli.add_flag("--train-settings-markdown", options.train_settings_markdown,
               "Print the Train lab's train.* settings as the README's Markdown table, and exit");
  cli.add_flag("--model-settings-markdown", options.model_settings_markdown,
               "Print the Model panel's model.* settings as the README's Markdown table, and exit");
  cli.add_option("--frames", options.frames, "Settled frames to draw before --screenshot captures")->capture_default_str();
  cli.add_option("--width", options.width, "Window width")->capture_default_str();
  cli.add_option("--height", options.height, "Window height")->capture_default_str();
  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(std::string(e.what()) + " (see 'convt-lab --help')", 2);
  }
  if (options.settings_markdown) {
    std::fputs(convt::lab::settings_markdown().c_str(), stdout);
    return 0;
  }
  if (options.train_settings_markdown) {
    std::fputs(convt::lab::train_settings_markdown().c_str(), stdout);
    return 0;
  }
  if (options.model_settings_markdown) {
    std::fputs(convt::lab::model_settings_markdown().c_str(), stdout);
    return 0;
  }

  // The app keeps every tensor in memory at once: refuse layers whose output alone needs over 1 GiB.
  if (!std::getenv("CONVT_MEMORY_BUDGET")) convt::set_memory_budget_bytes(uint64_t{1} << 30);

  convt::lab::LabState state;
  convt::lab::apply_preset("checkerboard", state);
  // A bare start opens the introduction and the list of lessons over the checkerboard preset.
  const bool bare_start = options.preset.empty() && options.workspace.empty() && options.model.empty() &&
                          options.settings.empty() && options.lesson < 0;
  try {
    if (bare_start) convt::lab::apply_lesson(0, state);
    if (options.lesson >= 0) convt::lab::apply_lesson(options.lesson, state);
    if (!options.preset.empty()) convt::lab::apply_preset(options.preset, state);
    if (!options.workspace.empty())
      convt::lab::apply_workspace(convt::read_workspace(options.workspace), options.workspace, state);
    if (!options.model.empty()) convt::lab::apply_setting("model.path=" + options.model, state);
    for (const std::string& setting : options.settings) convt::lab::apply_setting(setting, state);
  } catch (const convt::Error& e) {
    return fail(e.what(), e.kind() == convt::ErrorKind::Io ? 3 : 2);
  }
  if (!options.save_workspace.empty()) {
    try {
      convt::write_workspace(options.save_workspace, convt::lab::to_workspace(state));
    } catch (const convt::Error& e) {
      return fail(e.what(), e.kind() == convt::ErrorKind::Io ? 3 : 2);
    }
    std::printf("wrote %s\n", options.save_workspace.c_str());
    return 0;
  }
  convt::lab::LabModel model(state);
  if (!options.model.empty()) model.open_first_node();  // it keeps a node --set model.node names

  glfwSetErrorCallback(on_glfw_error);
  if (!glfwInit()) return fail("cannot initialise GLFW: no display? Run on a desktop session, or under xvfb-run", 1);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
  GLFWwindow* window = glfwCreateWindow(options.width, options.height, "ConvT Lab", nullptr, nullptr);
  if (!window) {
    glfwTerminate();
    return fail("cannot open an OpenGL 3.3 window (see the glfw error above)", 1);
  }
  glfwMakeContextCurrent(window);
  glfwSwapInterval(options.screenshot.empty() ? 1 : 0);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // the layout is computed from the window size, nothing to remember
  ImGui::StyleColorsDark();
  ImGui::GetStyle().WindowRounding = 0;
  load_font();
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  ImGui_ImplOpenGL3_Init("#version 330 core");

  int exit_code = 0;
  {
    convt::lab::LabApp app(model);
    g_model = &model;
    g_ui = &app.ui();
    app.ui().preset = !options.preset.empty() ? options.preset
                      : options.lesson > 0 ? convt::lab::lessons()[static_cast<size_t>(options.lesson - 1)].preset
                                           : "checkerboard";
    if (!options.workspace.empty()) app.ui().workspace_path = options.workspace;
    glfwSetDropCallback(window, on_drop);
    const bool capture = !options.screenshot.empty();
    // CONVT_LAB_TRACE_FRAMES=1 reports every frame that took over 50 ms (the UI's budget) on stderr, and the
    // slowest frame after the first (which compiles shaders and builds the font atlas).
    const bool trace_frames = std::getenv("CONVT_LAB_TRACE_FRAMES") != nullptr;
    double slowest_frame_ms = 0;
    // --screenshot keeps drawing frames while the worker computes, like an interactive session, and captures once
    // nothing is pending and the last --frames frames drew a settled screen.
    int settled_frames = 0;
    const double capture_deadline = glfwGetTime() + 120;

    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    int frames_drawn = 0;
    for (int frame = 0; !glfwWindowShouldClose(window) && !app.ui().quit_requested && !g_stop_requested; ++frame) {
      if (capture) {
        glfwPollEvents();
        if (model.busy()) glfwWaitEventsTimeout(1.0 / 30);  // leave the cores to the workers
      } else if (glfwGetWindowAttrib(window, GLFW_ICONIFIED)) {
        glfwWaitEvents();  // minimised: sleep until something happens
        continue;
      } else if (app.animating()) {
        glfwWaitEventsTimeout(1.0 / 60);  // input wakes it at once; without vsync (Xvfb) it must not spin
      } else if (app.waiting()) {
        glfwWaitEventsTimeout(1.0 / 30);
      } else {
        glfwWaitEventsTimeout(0.25);  // idle: wake for input, or a few times a second
      }
      const double frame_start = glfwGetTime();
      model.update();
      const double update_ms = (glfwGetTime() - frame_start) * 1e3;

      ImGui_ImplOpenGL3_NewFrame();
      ImGui_ImplGlfw_NewFrame();
      // A scripted capture has no user: Xvfb's pointer rests mid-screen, and its hover tooltips are noise there.
      if (capture) ImGui::GetIO().MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
      ImGui::NewFrame();
      app.frame(glfwGetTime());
      const double ui_ms = (glfwGetTime() - frame_start) * 1e3;
      ImGui::Render();
      int width = 0, height = 0;
      glfwGetFramebufferSize(window, &width, &height);
      glViewport(0, 0, width, height);
      glClearColor(0.09f, 0.09f, 0.11f, 1.0f);
      glClear(GL_COLOR_BUFFER_BIT);
      ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());

      std::string shot = app.ui().screenshot_request;
      if (capture) {
        // A view made during this frame is drawn in the next one: two settled frames at least.
        settled_frames = model.busy() ? 0 : settled_frames + 1;
        if (settled_frames >= std::max(2, options.frames)) shot = options.screenshot;
        if (glfwGetTime() > capture_deadline) {
          exit_code = fail("timed out waiting for the computation", 1);
          break;
        }
      }
      if (capture && !shot.empty()) {
        try {
          convt::lab::gfx::write_screenshot(shot, width, height);
        } catch (const convt::Error& e) {
          exit_code = fail(e.what(), 3);
        }
        break;
      }
      if (!shot.empty()) {
        // F12: the pixels are read here (GL), the PNG is encoded and written on the worker.
        const convt::RgbImage image = convt::lab::gfx::capture_screen(width, height);
        model.run_task([image, shot]() -> std::string {  // a failure's message becomes the notice
          convt::write_png(shot, image);
          return "saved " + shot;
        });
        app.ui().screenshot_request.clear();
      }
      const double frame_ms = (glfwGetTime() - frame_start) * 1e3;
      ++frames_drawn;
      if (frame > 0) slowest_frame_ms = std::max(slowest_frame_ms, frame_ms);
      if (trace_frames && frame == 0) std::fprintf(stderr, "first frame: %.1f ms\n", frame_ms);
      if (trace_frames && frame_ms > 50)
        std::fprintf(stderr, "slow frame %d: %.1f ms (model %.1f ms, panels %.1f ms)\n", frame, frame_ms, update_ms,
                     ui_ms - update_ms);
      glfwSwapBuffers(window);
    }
    if (trace_frames)
      std::fprintf(stderr, "slowest frame after the first: %.1f ms (%d frames)\n", slowest_frame_ms, frames_drawn);
    g_model = nullptr;
    g_ui = nullptr;
  }

  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window);
  glfwTerminate();
  return exit_code;
}
