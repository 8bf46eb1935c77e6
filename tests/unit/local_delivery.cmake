# local-delivery: local.mailbox_status (procs/local-delivery/status.h) on a
# store in a temp directory, bad requests included; the running service
# over real ipc (deliveries, its events' counts, the "status" endpoint)
# with the rig's fake directory (tests/support/session_rig.h).
parley_unit_test(local_delivery_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/local_delivery_test.cpp
                 LIBS parley_local_delivery_lib parley_test_support)
