#include "colormap_pass.h"

#include "embedded_shaders.h"

#include <stdexcept>
#include <string>

namespace convt::lab::gfx {
namespace {

GLuint compile(GLenum type, const char* source, const char* name) {
  const GLuint shader = glCreateShader(type);
  glShaderSource(shader, 1, &source, nullptr);
  glCompileShader(shader);
  GLint ok = 0;
  glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
  if (!ok) {
    char log[2048] = {};
    glGetShaderInfoLog(shader, sizeof log, nullptr, log);
    glDeleteShader(shader);
    throw std::runtime_error(std::string("shader ") + name + " does not compile: " + log);
  }
  return shader;
}

}  // namespace

bool ColourSettings::operator==(const ColourSettings& other) const {
  for (int i = 0; i < 3; ++i)
    if (low[i] != other.low[i] || high[i] != other.high[i]) return false;
  return colormap == other.colormap;
}

ColormapPass::ColormapPass() {
  const GLuint vertex = compile(GL_VERTEX_SHADER, kColormapVertexShader, "shaders/colormap.vert");
  const GLuint fragment = compile(GL_FRAGMENT_SHADER, kColormapFragmentShader, "shaders/colormap.frag");
  program_ = glCreateProgram();
  glAttachShader(program_, vertex);
  glAttachShader(program_, fragment);
  glLinkProgram(program_);
  glDeleteShader(vertex);
  glDeleteShader(fragment);
  GLint ok = 0;
  glGetProgramiv(program_, GL_LINK_STATUS, &ok);
  if (!ok) {
    char log[2048] = {};
    glGetProgramInfoLog(program_, sizeof log, nullptr, log);
    throw std::runtime_error(std::string("colormap program does not link: ") + log);
  }
  values_location_ = glGetUniformLocation(program_, "values");
  mode_location_ = glGetUniformLocation(program_, "mode");
  colormap_location_ = glGetUniformLocation(program_, "colormap");
  low_location_ = glGetUniformLocation(program_, "low");
  high_location_ = glGetUniformLocation(program_, "high");
  glGenVertexArrays(1, &vertex_array_);  // core profile draws need a bound VAO, even an empty one
}

ColormapPass::~ColormapPass() {
  if (vertex_array_) glDeleteVertexArrays(1, &vertex_array_);
  if (program_) glDeleteProgram(program_);
}

void ColormapPass::render(const FloatTexture& source, RenderTarget& target, const ColourSettings& colours) {
  target.resize(source.height(), source.width());
  GLint previous_framebuffer = 0, previous_program = 0, viewport[4];
  glGetIntegerv(GL_FRAMEBUFFER_BINDING, &previous_framebuffer);
  glGetIntegerv(GL_CURRENT_PROGRAM, &previous_program);
  glGetIntegerv(GL_VIEWPORT, viewport);
  const GLboolean blend = glIsEnabled(GL_BLEND), scissor = glIsEnabled(GL_SCISSOR_TEST);
  glDisable(GL_BLEND);
  glDisable(GL_SCISSOR_TEST);

  glBindFramebuffer(GL_FRAMEBUFFER, target.framebuffer());
  glViewport(0, 0, static_cast<GLsizei>(target.width()), static_cast<GLsizei>(target.height()));
  glUseProgram(program_);
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, source.id());
  glUniform1i(values_location_, 0);
  glUniform1i(mode_location_, source.channels() == 3 ? 1 : 0);
  glUniform1i(colormap_location_, static_cast<int>(colours.colormap));
  glUniform3fv(low_location_, 1, colours.low);
  glUniform3fv(high_location_, 1, colours.high);
  glBindVertexArray(vertex_array_);
  glDrawArrays(GL_TRIANGLES, 0, 3);

  glBindVertexArray(0);
  glUseProgram(static_cast<GLuint>(previous_program));
  glBindFramebuffer(GL_FRAMEBUFFER, static_cast<GLuint>(previous_framebuffer));
  glViewport(viewport[0], viewport[1], viewport[2], viewport[3]);
  if (blend) glEnable(GL_BLEND);
  if (scissor) glEnable(GL_SCISSOR_TEST);
}

GLuint PlaneCache::texture(const std::string& slot, const PlaneSource& source, const ColourSettings& colours) {
  std::unique_ptr<Entry>& entry = entries_[slot];
  if (!entry) entry = std::make_unique<Entry>();
  const bool new_data = !entry->rendered || !(entry->source == source);
  if (new_data) {
    entry->values.upload(source.data, source.height, source.width, source.channels, source.plane_stride);
    entry->source = source;
  }
  if (new_data || !(entry->colours == colours)) {
    pass_.render(entry->values, entry->target, colours);
    entry->colours = colours;
    entry->rendered = true;
  }
  return entry->target.texture();
}

GLuint PlaneCache::last_texture(const std::string& slot) const {
  const auto found = entries_.find(slot);
  return found != entries_.end() && found->second->rendered ? found->second->target.texture() : 0;
}

}  // namespace convt::lab::gfx
