# SPDX-License-Identifier: MIT
# Host unit tests (ctest label "unit"), built with AddressSanitizer and UndefinedBehaviorSanitizer.

keel_add_unit_test(test_format SOURCES lib/c/tests/test_format.c LIBS host_keel_c)
keel_add_unit_test(test_fdt_util SOURCES lib/fdt/tests/test_fdt_util.c LIBS host_keel_fdt
    DTS lib/fdt/tests/board.dts)
keel_add_unit_test(test_boot_info SOURCES hyp/tests/test_boot_info.c hyp/kern/boot_info.c
    LIBS host_keel_fdt INCLUDES ${CMAKE_SOURCE_DIR}/hyp/include DTS lib/fdt/tests/board.dts)
