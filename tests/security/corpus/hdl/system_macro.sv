// ATTACK: $system hidden from a text grep: the name is built by token pasting inside a
// macro (`S expands to $sys``tem -> $system) and called through a second macro.
// EXPECT: refused all the same (the gate looks at preprocessed tokens) at the line that
// expands the macro (LINE-UNDER-TEST).
`define S $sys``tem
`define RUN(cmd) `S(cmd)
module system_macro;
  initial begin
    `RUN("touch @CANARY@");  // LINE-UNDER-TEST
    $finish;
  end
endmodule
