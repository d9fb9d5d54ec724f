print("treectl")
