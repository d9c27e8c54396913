// ATTACK: import libc's system() through the DPI and call it from SystemVerilog.
// EXPECT: refused by the static gate ('import "DPI-C"').
module dpi_import;
  import "DPI-C" function int system(input string cmd);  // LINE-UNDER-TEST
  initial begin
    void'(system("touch @CANARY@"));
    $finish;
  end
endmodule
