# Outcomes as SMTP: smtpd's reply table and the dequeuer's diagnoses, with
# router rules written with SMTP codes; pure, no I/O.
parley_unit_test(outcome_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/outcome_test.cpp
                 LIBS parley_smtpd_lib parley_dequeuer_lib parley_router_lib)
