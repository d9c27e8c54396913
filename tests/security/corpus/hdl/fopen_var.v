// ATTACK: $fopen a path held in a variable (built at run time), which no static check
// can see.
// EXPECT: refused by the static gate: the path is not a string literal.
module fopen_var;
  integer fd;
  reg [8*64:1] path;
  initial begin
    path = "@CANARY@";
    fd = $fopen(path, "w");  // LINE-UNDER-TEST
    $fdisplay(fd, "escaped");
    $fclose(fd);
    $finish;
  end
endmodule
