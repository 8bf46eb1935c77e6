#include "core/asio.h"
