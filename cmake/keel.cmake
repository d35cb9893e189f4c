# SPDX-License-Identifier: MIT
# Settings shared by every Keel build: warnings, the freestanding target flags, linux-source bits.

set(CMAKE_C_STANDARD 11)
set(CMAKE_C_STANDARD_REQUIRED ON)
set(CMAKE_C_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)

# Strict warnings for Keel's own code (hyp/, vmm/, lib/, user level, tests).
set(KEEL_WARNINGS -Wall -Wextra -Werror -Wshadow -Wvla -Wstrict-prototypes -Wmissing-prototypes
    -Wundef -Wno-unused-parameter)

# libfdt and the virtio uapi headers come from Debian's linux-source, extracted into a cache.
execute_process(COMMAND ${CMAKE_SOURCE_DIR}/ci/linux-bits
    OUTPUT_VARIABLE KEEL_LINUX_BITS OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ci/linux-bits failed: run ci/setup (needs linux-source)")
endif()
set(KEEL_LIBFDT_DIR ${KEEL_LINUX_BITS}/scripts/dtc/libfdt)

# Reads platforms/<board>/board.conf into KEEL_BOARD_<KEY> variables.
function(keel_read_board board)
    set(conf ${CMAKE_SOURCE_DIR}/platforms/${board}/board.conf)
    if(NOT EXISTS ${conf})
        message(FATAL_ERROR "unknown board '${board}': no ${conf}")
    endif()
    file(STRINGS ${conf} lines REGEX "^[A-Z_]+=")
    foreach(line IN LISTS lines)
        string(REGEX MATCH "^([A-Z_]+)=(.*)$" _ "${line}")
        set(KEEL_BOARD_${CMAKE_MATCH_1} "${CMAKE_MATCH_2}" PARENT_SCOPE)
    endforeach()
endfunction()
