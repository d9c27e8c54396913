// ATTACK: $fopen a relative path that climbs out of the work dir with "..".
// EXPECT: refused by the static gate.
module fopen_dotdot;
  integer fd;
  initial begin
    fd = $fopen("sub/../../x", "w");  // LINE-UNDER-TEST
    $fdisplay(fd, "escaped");
    $fclose(fd);
    $finish;
  end
endmodule
