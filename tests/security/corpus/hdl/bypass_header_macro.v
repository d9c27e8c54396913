// ATTACK (static-gate bypass, part 2 of 2): uses the macro from bypass_header_macro.vh.
// The gate checks each file alone and never resolves the include on the host, so the
// macro is undefined for it and no $system token ever appears; Verilator (cwd = work dir)
// resolves the include and runs the command.
// Verified by hand: Verilator 5 --binary runs it.
// EXPECT (policy): refused at the line below.
`include "bypass_header_macro.vh"
module bypass_header_macro;
  initial begin
    `RUN_SHELL("touch @CANARY@");  // LINE-UNDER-TEST
    $finish;
  end
endmodule
