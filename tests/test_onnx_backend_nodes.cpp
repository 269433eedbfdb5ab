// Placeholder while this test is written (issue #14).
#include <gtest/gtest.h>
