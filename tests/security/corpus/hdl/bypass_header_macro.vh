// ATTACK (static-gate bypass, part 1 of 2): a header that only DEFINES a macro whose body
// is $system. The gate does not look inside macro bodies, so this file is clean to it.
`define RUN_SHELL $system
