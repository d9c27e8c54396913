// ATTACK: Verilator's $c() pastes raw C++ into the generated model: std::system() runs a
// host command when the simulation starts.
// EXPECT: refused by the static gate before Verilator ever runs.
module verilator_c;
  initial begin
    $c("std::system(\"touch @CANARY@\");");  // LINE-UNDER-TEST
    $finish;
  end
endmodule
