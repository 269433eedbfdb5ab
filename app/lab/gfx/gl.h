// The one place the app includes OpenGL: libepoxy resolves GL 3.3 core entry points at run time. Include this
// before GLFW (with GLFW_INCLUDE_NONE) so only one GL header is seen.
#pragma once

#include <epoxy/gl.h>
