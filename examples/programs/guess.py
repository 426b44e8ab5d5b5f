import random

secret = random.randint(1, 100)
print("I am thinking of a number between 1 and 100.")
while True:
    try:
        guess = int(input("Your guess: "))
    except EOFError:
        print("\nBye!")
        break
    except ValueError:
        print("Please type a number.")
        continue
    if guess < secret:
        print("Higher!")
    elif guess > secret:
        print("Lower!")
    else:
        print("Correct!")
        break
