#version 330 core
// Float data -> normalisation -> colormap, on the GPU, so changing the colormap or the range costs no recompute.
// The anchors match engine/src/image.cpp (the CLI's PNGs), so both front ends show the same colours.
in vec2 uv;
out vec4 colour;

uniform sampler2D values;  // R32F (scalar) or RGB32F (composite)
uniform int mode;          // 0: scalar through the colormap; 1: RGB composite
uniform int colormap;      // 0 grey, 1 viridis, 2 diverging
uniform vec3 low;          // range per channel (scalar mode uses .x)
uniform vec3 high;

const vec3 viridis[9] = vec3[9](vec3(68, 1, 84), vec3(71, 44, 122), vec3(59, 81, 139), vec3(44, 113, 142),
                                vec3(33, 144, 141), vec3(39, 173, 129), vec3(92, 200, 99), vec3(170, 220, 50),
                                vec3(253, 231, 37));
const vec3 diverging[5] = vec3[5](vec3(59, 76, 192), vec3(141, 176, 254), vec3(221, 221, 221),
                                  vec3(244, 154, 123), vec3(180, 4, 38));

vec3 ramp9(float t) {
  float x = clamp(t, 0.0, 1.0) * 8.0;
  int i = min(int(floor(x)), 7);
  return mix(viridis[i], viridis[i + 1], x - float(i)) / 255.0;
}

vec3 ramp5(float t) {
  float x = clamp(t, 0.0, 1.0) * 4.0;
  int i = min(int(floor(x)), 3);
  return mix(diverging[i], diverging[i + 1], x - float(i)) / 255.0;
}

float normalised(float v, float lo, float hi) {
  return hi > lo ? (v - lo) / (hi - lo) : 0.5;  // a flat plane sits mid-map
}

void main() {
  vec3 v = texture(values, vec2(uv.x, uv.y)).rgb;
  if (mode == 1) {
    colour = vec4(clamp(vec3(normalised(v.r, low.r, high.r), normalised(v.g, low.g, high.g),
                             normalised(v.b, low.b, high.b)), 0.0, 1.0), 1.0);
    return;
  }
  if (isnan(v.r)) {
    colour = vec4(1.0, 0.0, 1.0, 1.0);  // NaN: magenta, never mistaken for data
    return;
  }
  float t = normalised(v.r, low.x, high.x);
  if (colormap == 0) colour = vec4(vec3(clamp(t, 0.0, 1.0)), 1.0);
  else if (colormap == 1) colour = vec4(ramp9(t), 1.0);
  else colour = vec4(ramp5(t), 1.0);
}
