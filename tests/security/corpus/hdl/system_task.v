// ATTACK: plain $system("...") in a testbench: a host shell command run by the simulator.
// EXPECT: the static gate refuses it (SandboxViolation) and names this file and the line
// marked LINE-UNDER-TEST; nothing is compiled or run, the canary is never created.
// @CANARY@ is replaced by the harness with a uuid path under /tmp.
module system_task;
  initial begin
    $display("about to escape");
    $system("touch @CANARY@");  // LINE-UNDER-TEST
    $finish;
  end
endmodule
