// ATTACK (static-gate bypass): Verilator's `systemc_header / `systemc_ctor directives
// paste raw C++ into the generated model class (also with --binary, no SystemC needed);
// the constructor runs std::system() when the simulation starts. No system task, no
// $c token: the gate's token scan sees only garbage it does not look at.
// Verified by hand: Verilator 5 --binary compiles this and runs the command.
// EXPECT (policy): refused like $c.
module bypass_systemc_block;
`systemc_header
#include <cstdlib>
`systemc_ctor
std::system("touch @CANARY@");
`verilog
  initial $finish;
endmodule
